// Topology parts for real llama.cpp replicas (`runtime: llamacpp` clusters): where llama-server and
// the model files are (one GGUF per model version, plus the file model.corrupt loads), and how each
// engine is started. Defaults point at what scripts/setup.sh builds and writes under ~/.cache/halab.
import { homedir } from 'node:os';
import { dirname, isAbsolute, resolve } from 'node:path';
import { z } from 'zod';

export const REPLICA_RUNTIMES = ['standin', 'llamacpp'] as const;
export type ReplicaRuntime = (typeof REPLICA_RUNTIMES)[number];

/** The llama-cpp-python sdist whose vendor/llama.cpp setup builds (keep in step with scripts/setup.sh). */
export const LLAMA_PY_VERSION = '0.3.36';

/** Where setup caches builds and models (HALAB_CACHE, default ~/.cache/halab). */
export function halabCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.HALAB_CACHE ?? resolve(homedir(), '.cache', 'halab');
}

export const DEFAULT_LLAMA_SERVER = (): string =>
  process.env.HALAB_LLAMA_SERVER ?? resolve(halabCacheDir(), `llama-${LLAMA_PY_VERSION}`, 'vendor', 'llama.cpp', 'build', 'bin', 'llama-server');
export const tinyModel = (version: number): string => resolve(halabCacheDir(), 'models', `tiny-llama-v${version}.gguf`);

export const llamacppSchema = z.strictObject({
  /** Path of llama-server (default: setup's build; HALAB_LLAMA_SERVER overrides). */
  server: z.string().min(1).optional(),
  /** Model version → GGUF file (default: v1 and v2, setup's tiny models). */
  models: z.record(z.string().min(1), z.string().min(1)).optional(),
  /** GGUF with other weights that model.corrupt restarts an engine on (default: setup's v2 model). */
  corruptModel: z.string().min(1).optional(),
  /** CPU threads per engine. */
  threads: z.number().int().min(1).max(64).default(1),
  /** Parallel slots per engine (continuous batching). */
  parallel: z.number().int().min(1).max(64).default(2),
  /** Context size per engine in tokens (shared by its slots). */
  contextTokens: z.number().int().min(128).max(131_072).default(2048),
  /** GPU layers to offload (a CUDA build); 0 on CPU. */
  gpuLayers: z.number().int().min(0).max(1000).default(0),
  /** Period of replica.slow's SIGSTOP/SIGCONT duty cycle. */
  slowPeriodMs: z.number().int().min(10).max(10_000).default(100),
  /**
   * The regional gateways' first-token and stall timeouts for these engines (the global load
   * balancer's are twice this): a CPU engine sharing its cores starts slower than a GPU.
   */
  firstTokenTimeoutMs: z.number().int().min(100).max(120_000).default(4000),
  /** The control plane's health probe may take this long before the replica counts as slow. */
  probeLatencyMaxMs: z.number().int().min(100).max(120_000).default(3000),
});

export type LlamacppFile = z.infer<typeof llamacppSchema>;

export interface LlamacppConfig {
  readonly serverPath: string;
  /** Model version → absolute GGUF path. */
  readonly models: Readonly<Record<string, string>>;
  readonly corruptModel: string;
  readonly threads: number;
  readonly parallel: number;
  readonly contextTokens: number;
  readonly gpuLayers: number;
  readonly slowPeriodMs: number;
  readonly firstTokenTimeoutMs: number;
  readonly probeLatencyMaxMs: number;
}

function expandPath(path: string, topologyFile: string): string {
  if (path.startsWith('~/')) return resolve(homedir(), path.slice(2));
  return isAbsolute(path) ? path : resolve(dirname(topologyFile), path);
}

/** The engine settings with defaults filled in and paths made absolute. */
export function llamacppConfig(file: LlamacppFile | undefined, topologyFile: string): LlamacppConfig {
  const f = file ?? llamacppSchema.parse({});
  const models = f.models ?? { v1: tinyModel(1), v2: tinyModel(2) };
  return {
    serverPath: f.server ? expandPath(f.server, topologyFile) : DEFAULT_LLAMA_SERVER(),
    models: Object.fromEntries(Object.entries(models).map(([v, p]) => [v, expandPath(p, topologyFile)])),
    corruptModel: f.corruptModel ? expandPath(f.corruptModel, topologyFile) : tinyModel(2),
    threads: f.threads,
    parallel: f.parallel,
    contextTokens: f.contextTokens,
    gpuLayers: f.gpuLayers,
    slowPeriodMs: f.slowPeriodMs,
    firstTokenTimeoutMs: f.firstTokenTimeoutMs,
    probeLatencyMaxMs: f.probeLatencyMaxMs,
  };
}

/** Fault kinds a CPU engine cannot have (there is no GPU to fail): refused at schedule validation. */
export const GPU_ONLY_KINDS: ReadonlySet<string> = new Set(['gpu.xid', 'gpu.thermal']);
