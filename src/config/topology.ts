// Topology files (cluster/*.yaml): regions, clusters, replicas per cluster, model and performance
// profile. Parsed once into a readonly object; every replica gets its id and loopback host here.
import { z } from 'zod';
import { MAX_DURATION_MS } from '../core/duration.js';
import { ConfigError } from '../core/errors.js';
import { ENGINE_PROFILE_NAMES } from './engine-profile-names.js';
import { clusterId, replicaId } from '../core/ids.js';
import { parseWith } from './schema-errors.js';
import { readYamlFile } from './yaml-file.js';
import { checkRoutes, externalClusterSchema, routeSchema, type EndpointKind } from './topology-external.js';
import { entrySectionSchema, gatewaySectionSchema, probesSectionSchema } from './topology-gateway.js';
import { llamacppConfig, llamacppSchema, REPLICA_RUNTIMES, type LlamacppConfig, type ReplicaRuntime } from './topology-llamacpp.js';

const name = z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name of letters, digits and dashes');
/** Stand-in replicas one cluster may have (a 192-replica lab is two regions of 64 + 32). */
export const MAX_GPUS_PER_CLUSTER = 64;
/**
 * Replicas a topology may ask for in all (replicas and launched stand-ins), by how they run: what
 * one 2-core, 23 GiB machine was measured to run (bench/lab-scale.ts). A replica process costs
 * ~70 MiB and ~0.7 % of a core at idle, so 128 of them fill half the memory and most of the CPU;
 * a hosted replica (`replicaHost: shared`) costs a few MiB, and 256 stay well within both.
 */
export const MAX_REPLICAS_TOTAL = 128;
export const MAX_REPLICAS_TOTAL_SHARED = 256;
/** How stand-in replicas run: a process each, or one replica host process per cluster (src/replica/replica-host.ts). */
export const REPLICA_HOST_MODES = ['process', 'shared'] as const;
export type ReplicaHostMode = (typeof REPLICA_HOST_MODES)[number];
/** Bounds of a cluster's `containerLimits`. */
export const MAX_CONTAINER_CPUS = 256;
export const MIN_CONTAINER_MEMORY_MIB = 64;
export const MAX_CONTAINER_MEMORY_MIB = 4 * 1024 * 1024;

/** CPU and memory limits of a replica's container. */
export interface ContainerLimits {
  readonly cpus?: number;
  readonly memoryMiB?: number;
}

const loopbackHost = z.string().refine((h) => {
  const m = /^127\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(h);
  return m !== null && m.slice(1).every((o) => Number(o) <= 255) && h !== '127.255.255.255';
}, { error: (i) => `expected a loopback IPv4 address (127.x.y.z, each part 0-255), not ${JSON.stringify(i.input)}: every listener binds loopback only` });

const profileName = z.string().refine((p) => ENGINE_PROFILE_NAMES.includes(p), {
  error: (i) => `unknown engine profile ${JSON.stringify(i.input)}; known: ${ENGINE_PROFILE_NAMES.join(', ')}`,
});

const clusterSchema = z.strictObject({
  name,
  role: z.enum(['primary', 'backup']).default('primary'),
  /** Stand-in replicas (one per GPU); an external cluster has one replica per endpoint instead. */
  gpus: z.number().int().min(1).max(MAX_GPUS_PER_CLUSTER, `at most ${MAX_GPUS_PER_CLUSTER} replicas per cluster`).optional(),
  /** Real OpenAI-compatible endpoints instead of stand-ins. */
  external: externalClusterSchema.optional(),
  /** What each replica runs: the stand-in engine, or a real llama.cpp llama-server (see `llamacpp`). */
  runtime: z.enum(REPLICA_RUNTIMES).default('standin'),
  /** Each replica (with its agent, and its engine) runs in a container started by testcontainers (see README "Containers"). */
  container: z.boolean().default(false),
  /** CPU and memory limits of each replica's container (needs `container: true`); see README "Containers". */
  containerLimits: z
    .strictObject({
      /** CPU cores (a CFS quota: Docker's NanoCpus), e.g. 0.5 or 2. */
      cpus: z.number().gt(0).max(MAX_CONTAINER_CPUS, `at most ${MAX_CONTAINER_CPUS} cores`).optional(),
      /** Memory in MiB (Docker's Memory); passing it gets the container's processes OOM-killed. */
      memoryMiB: z.number().int().min(MIN_CONTAINER_MEMORY_MIB, `at least ${MIN_CONTAINER_MEMORY_MIB} MiB (a replica's Node process alone needs about 70)`).max(MAX_CONTAINER_MEMORY_MIB).optional(),
    })
    .refine((l) => l.cpus !== undefined || l.memoryMiB !== undefined, { error: 'give cpus, memoryMiB or both' })
    .optional(),
  /** Below this fraction of healthy replicas the cluster counts as failed and its backup takes over. */
  minHealthyFraction: z.number().gt(0).max(1).default(0.5),
});

const regionSchema = z.strictObject({
  name,
  host: loopbackHost,
  clusters: z.array(clusterSchema).min(1),
});

const faultCommand = z.strictObject({
  /** Shell command that injects the fault; {target} {region} {cluster} {index} are substituted. */
  inject: z.string().min(1),
  /** Shell command that heals it. */
  heal: z.string().min(1),
  timeoutMs: z.number().int().positive().max(600_000).default(30_000),
});

/** A real service under test instead of stand-ins: where clients go, and how faults are applied. */
const externalSchema = z.strictObject({
  /** OpenAI-compatible base URL the load is sent to (e.g. a vLLM router or gateway). */
  entrypoint: z.string().url('expected the base URL of an OpenAI-compatible server'),
  /** Environment variable holding the API key, sent as a Bearer token. */
  apiKeyEnv: z.string().optional(),
  /** Whether answers are the stand-in's deterministic ones (only when the endpoints are stand-ins). */
  deterministic: z.boolean().default(false),
  /** Fault kind → commands. A kind without an entry cannot be injected. */
  faults: z.record(z.string(), faultCommand).default({}),
});

export const topologySchema = z.strictObject({
  name,
  model: z.strictObject({ name: z.string().min(1), version: z.string().min(1) }).default({ name: 'llama-3-8b-instruct', version: 'v1' }),
  /** Performance profile of stand-in replicas (see src/replica/profiles.ts). */
  profile: profileName.default('h100-llama3-8b'),
  /** Multiplies every engine duration (prefill, decode, model load); < 1 runs faster than real. */
  timeScale: z.number().gt(0).max(10).default(1),
  /** Overrides the profile's model load time (before timeScale). */
  modelLoadMs: z.number().min(0).max(3_600_000, 'at most 3600000 (one hour)').optional(),
  /** How stand-in replicas run: `process` (one OS process each, the default) or `shared` (one host process per cluster). */
  replicaHost: z.enum(REPLICA_HOST_MODES).default('process'),
  controlPlane: z
    .strictObject({
      host: loopbackHost.default('127.0.0.1'),
      /** Where the control plane keeps its state: an embedded log on disk, or etcd (started by the lab). */
      store: z.enum(['embedded', 'etcd']).default('embedded'),
      /** Control-plane instances; more than one needs store: etcd (leader election on an etcd lease). */
      instances: z.number().int().min(1).max(5).default(1),
      /** Where instances run: all on `host`, or spread over the regions (instance i in region i mod n, on its host). */
      placement: z.enum(['host', 'regions']).default('host'),
      /** TTL of the leader's etcd lease: a dead leader is replaced within about this long. */
      leaseTtlS: z.number().int().min(1).max(60).default(2),
      /** Periodic snapshots of the control-plane state (halab backup / halab restore). */
      backup: z
        .strictObject({
          /** file:///dir (default: <lab>/backups) or s3://bucket/prefix. */
          url: z.string().regex(/^(file|s3):\/\/./, 'expected file:///path or s3://bucket[/prefix]').optional(),
          /** S3 endpoint (an S3-compatible server); credentials come from the AWS_* environment. */
          endpoint: z.string().url().optional(),
          intervalMs: z.number().int().min(0).max(MAX_DURATION_MS, 'at most 366 days').default(0),
          retain: z.number().int().min(1).max(1000).default(10),
        })
        .default({ intervalMs: 0, retain: 10 }),
    })
    .default({ host: '127.0.0.1', store: 'embedded', instances: 1, placement: 'host', leaseTtlS: 2, backup: { intervalMs: 0, retain: 10 } }),
  links: z.strictObject({ interRegionLatencyMs: z.number().min(0).max(10_000, 'at most 10000 ms').default(30) }).default({ interRegionLatencyMs: 30 }),
  regions: z.array(regionSchema).min(1),
  external: externalSchema.optional(),
  /** llama-server and model files of `runtime: llamacpp` clusters. */
  llamacpp: llamacppSchema.optional(),
  /** Model routes with fallbacks (default: the topology's model on every cluster). */
  routes: z.array(routeSchema).optional(),
  /** Every regional gateway's settings (defaults: src/gateway/regional/config.ts). */
  gateway: gatewaySectionSchema.default({}),
  /** The global load balancer's settings (defaults: src/gateway/global/config.ts). */
  entry: entrySectionSchema.default({}),
  /** The control plane's probe budget for external endpoints. */
  probes: probesSectionSchema.default({}),
  /** Yearly failure rates for the simulator (validated by src/sim/failure-model.ts). */
  failureModel: z.record(z.string(), z.unknown()).optional(),
});

export type TopologyFile = z.infer<typeof topologySchema>;

export interface ReplicaSpec {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly index: number;
  readonly host: string;
  readonly runtime: ReplicaRuntime;
  /** The replica runs in a container (its cluster set `container: true`). */
  readonly container: boolean;
  /** Limits of its container (the cluster's `containerLimits`). */
  readonly containerLimits?: ContainerLimits;
  /** Set for a replica that is a real (or launched stand-in) OpenAI-compatible endpoint. */
  readonly external?: ExternalReplicaSpec;
}

export interface ExternalReplicaSpec {
  readonly kind: EndpointKind;
  /** Base URL; undefined until the lab has launched the stand-in that serves it. */
  readonly url?: string;
  readonly apiKeyEnv?: string;
  readonly gpuMetricsUrl?: string;
  /** Model name the endpoint serves. */
  readonly model: string;
  /** Every model the gateways send it: each route group's model that lists its cluster (else `model`). */
  readonly models?: readonly string[];
  /** The lab launches a stand-in for this endpoint. */
  readonly launched: boolean;
}

export interface ClusterSpec {
  readonly id: string;
  readonly region: string;
  readonly name: string;
  readonly role: 'primary' | 'backup';
  readonly gpus: number;
  readonly minHealthyFraction: number;
  readonly runtime: ReplicaRuntime;
  readonly container: boolean;
}

export interface Topology extends Readonly<TopologyFile> {
  readonly file: string;
  readonly clusters: readonly ClusterSpec[];
  readonly replicas: readonly ReplicaSpec[];
  /** Engine settings, when some cluster has `runtime: llamacpp`. */
  readonly llamacppEngine?: LlamacppConfig;
}

/** Validates a parsed topology document and expands it into clusters and replicas. */
export function buildTopology(data: unknown, file: string): Topology {
  const parsed = parseWith(topologySchema, data, file);
  if (parsed.controlPlane.instances > 1 && parsed.controlPlane.store !== 'etcd') {
    throw new ConfigError(file, 'controlPlane.instances', `${parsed.controlPlane.instances} instances need controlPlane.store: etcd (the embedded log belongs to one process)`);
  }
  const regionNames = new Set<string>();
  const clusters: ClusterSpec[] = [];
  const replicas: ReplicaSpec[] = [];
  parsed.regions.forEach((region, ri) => {
    if (regionNames.has(region.name)) throw new ConfigError(file, `regions[${ri}].name`, `duplicate region "${region.name}"`);
    regionNames.add(region.name);
    const clusterNames = new Set<string>();
    region.clusters.forEach((cluster, ci) => {
      if (clusterNames.has(cluster.name)) {
        throw new ConfigError(file, `regions[${ri}].clusters[${ci}].name`, `duplicate cluster "${cluster.name}" in ${region.name}`);
      }
      clusterNames.add(cluster.name);
      const where = `regions[${ri}].clusters[${ci}]`;
      const ext = cluster.external;
      if (!ext && cluster.gpus === undefined) throw new ConfigError(file, `${where}.gpus`, 'required for a stand-in cluster (or give external endpoints)');
      if (ext && cluster.gpus !== undefined && cluster.gpus !== ext.endpoints.length) {
        throw new ConfigError(file, `${where}.gpus`, `is ${cluster.gpus} but external.endpoints lists ${ext.endpoints.length}; leave gpus out for an external cluster`);
      }
      ext?.endpoints.forEach((e, ei) => {
        if (!e.url && !ext.standin) throw new ConfigError(file, `${where}.external.endpoints[${ei}].url`, 'required (or set external.standin to have the lab launch a stand-in)');
      });
      if (ext && cluster.runtime !== 'standin') throw new ConfigError(file, `${where}.runtime`, 'an external cluster has no runtime of the lab; leave runtime out');
      if (ext && cluster.container) throw new ConfigError(file, `${where}.container`, 'an external cluster runs outside the lab; leave container out');
      if (cluster.containerLimits && !cluster.container) throw new ConfigError(file, `${where}.containerLimits`, 'limits apply to containers; set container: true or leave containerLimits out');
      const limits = cluster.containerLimits ? { containerLimits: { ...cluster.containerLimits } } : {};
      const gpus = ext ? ext.endpoints.length : cluster.gpus!;
      clusters.push({
        id: clusterId(region.name, cluster.name),
        region: region.name,
        name: cluster.name,
        role: cluster.role,
        gpus,
        minHealthyFraction: cluster.minHealthyFraction,
        runtime: cluster.runtime,
        container: cluster.container,
      });
      const cid = clusterId(region.name, cluster.name);
      const routed = [...new Set((parsed.routes ?? []).flatMap((r) => r.groups.filter((g) => g.clusters.includes(cid)).map((g) => g.model ?? parsed.model.name)))];
      for (let i = 0; i < gpus; i++) {
        const e = ext?.endpoints[i];
        const external: ExternalReplicaSpec | undefined = ext
          ? {
              kind: ext.kind,
              model: ext.model ?? parsed.model.name,
              models: routed.length > 0 ? routed : [ext.model ?? parsed.model.name],
              launched: !e?.url,
              ...(e?.url ? { url: e.url.replace(/\/+$/, '') } : {}),
              ...(ext.apiKeyEnv ? { apiKeyEnv: ext.apiKeyEnv } : {}),
              ...(e?.gpuMetricsUrl ? { gpuMetricsUrl: e.gpuMetricsUrl } : {}),
            }
          : undefined;
        replicas.push({ id: replicaId(region.name, cluster.name, i), region: region.name, cluster: cluster.name, index: i, host: region.host, runtime: cluster.runtime, container: cluster.container, ...limits, ...(external ? { external } : {}) });
      }
    });
  });
  parsed.regions.forEach((region, ri) => {
    if (!region.clusters.some((c) => c.role === 'primary')) {
      throw new ConfigError(file, `regions[${ri}].clusters`, `region "${region.name}" has no primary cluster: a backup only takes over from a primary of its region`);
    }
  });
  const maxTotal = parsed.replicaHost === 'shared' ? MAX_REPLICAS_TOTAL_SHARED : MAX_REPLICAS_TOTAL;
  if (replicas.length > maxTotal) {
    throw new ConfigError(
      file,
      'regions',
      `${replicas.length} replicas in all; a lab runs at most ${maxTotal} on one machine ${parsed.replicaHost === 'shared' ? 'with replica hosts' : `as one process each (replicaHost: shared allows ${MAX_REPLICAS_TOTAL_SHARED})`}`,
    );
  }
  if (parsed.routes) checkRoutes(parsed.routes, new Set(clusters.map((c) => c.id)), file);
  const llamacppEngine = clusters.some((c) => c.runtime === 'llamacpp') ? llamacppConfig(parsed.llamacpp, file) : undefined;
  if (llamacppEngine && !llamacppEngine.models[parsed.model.version]) {
    throw new ConfigError(file, 'llamacpp.models', `has no file for the model version "${parsed.model.version}" (model.version); known: ${Object.keys(llamacppEngine.models).join(', ')}`);
  }
  return Object.freeze({ ...parsed, file, clusters, replicas, ...(llamacppEngine ? { llamacppEngine } : {}) });
}

/** Reads and validates a topology file. */
export function loadTopology(file: string): Topology {
  const data = readYamlFile(file, 'topology file');
  return buildTopology(data, file);
}

/** The runtime of a replica id's cluster (a replica a deployment added included); standin when unknown. */
export function runtimeOfReplica(topology: Topology, replicaId: string): ReplicaRuntime {
  const [region, cluster] = replicaId.split('/');
  return topology.clusters.find((c) => c.region === region && c.name === cluster)?.runtime ?? 'standin';
}
