// Topology schema parts for real inference endpoints: external clusters (OpenAI-compatible base
// URLs of vLLM, TGI, llama.cpp or any generic server, with API keys from environment variables,
// health checked by kind, faults through user commands) and model routes with fallbacks.
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

export const ENDPOINT_KINDS = ['vllm', 'tgi', 'llamacpp', 'generic'] as const;
export type EndpointKind = (typeof ENDPOINT_KINDS)[number];

export const commandFaultSchema = z.strictObject({
  /** Shell command that injects the fault; {target} {region} {cluster} {index} {url} are substituted. */
  inject: z.string().min(1),
  /** Shell command that heals it. */
  heal: z.string().min(1),
  timeoutMs: z.number().int().positive().max(600_000).default(30_000),
});

const endpointSchema = z.strictObject({
  /** OpenAI-compatible base URL (without /v1). Omitted when the lab launches a stand-in here. */
  url: z.string().url('expected a base URL such as http://127.0.0.1:8000').optional(),
  /** DCGM-exporter-style metrics URL for GPU health; without one GPU health is reported unknown. */
  gpuMetricsUrl: z.string().url('expected the URL of a Prometheus metrics page').optional(),
});

/** The lab launches one misbehaving-upstream stand-in per endpoint (plain OpenAI servers, no agent). */
const standinSchema = z.strictObject({
  modelVersion: z.string().min(1).optional(),
  contextLength: z.number().int().positive().optional(),
  assistantPrefill: z.boolean().default(true),
  firstTokenMs: z.number().min(0).optional(),
  tokenMs: z.number().min(0).optional(),
});

export const externalClusterSchema = z.strictObject({
  kind: z.enum(ENDPOINT_KINDS).default('generic'),
  /** Environment variable holding the API key, sent as a Bearer token. */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'expected an environment variable name').optional(),
  /** Model name the endpoints serve (default: the topology's model name). */
  model: z.string().min(1).optional(),
  endpoints: z.array(endpointSchema).min(1, 'an external cluster needs at least one endpoint'),
  standin: standinSchema.optional(),
  /** Fault kind → commands for these endpoints. A kind without one cannot be injected here. */
  faults: z.record(z.string(), commandFaultSchema).default({}),
});

const routeGroupSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name of letters, digits and dashes').optional(),
  /** Cluster ids (region/cluster) serving this group. */
  clusters: z.array(z.string().min(1)).min(1),
  /** Model name sent upstream (default: the topology's model name). */
  model: z.string().min(1).optional(),
  assistantPrefill: z.boolean().default(false),
  deterministic: z.boolean().default(false),
  contextLength: z.number().int().positive().optional(),
});

export const routeSchema = z.strictObject({
  /** The model name clients ask for. */
  model: z.string().min(1),
  groups: z.array(routeGroupSchema).min(1, 'a route needs at least one upstream group'),
});

export type RouteFile = z.infer<typeof routeSchema>;

/** Cross-field checks of routes: clusters exist, names unique. */
export function checkRoutes(routes: readonly RouteFile[], clusterIds: ReadonlySet<string>, file: string): void {
  const models = new Set<string>();
  routes.forEach((r, ri) => {
    if (models.has(r.model)) throw new ConfigError(file, `routes[${ri}].model`, `duplicate route for model "${r.model}"`);
    models.add(r.model);
    const names = new Set<string>();
    r.groups.forEach((g, gi) => {
      const name = g.name ?? `${r.model}-${gi}`;
      if (names.has(name)) throw new ConfigError(file, `routes[${ri}].groups[${gi}].name`, `duplicate group name "${name}" in route ${r.model}`);
      names.add(name);
      g.clusters.forEach((c, ci) => {
        if (!clusterIds.has(c)) throw new ConfigError(file, `routes[${ri}].groups[${gi}].clusters[${ci}]`, `no cluster "${c}"; known: ${[...clusterIds].join(', ')}`);
      });
    });
  });
}
