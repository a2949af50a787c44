// Model routes: the client's model name → an ordered list of upstream groups (clusters serving one
// upstream model, e.g. the primary model, then another provider, then a larger-context model),
// each with its declared capabilities. Built once from the topology; the default route sends the
// topology's model to every cluster, as before routes existed.
import type { Topology } from './topology.js';

export interface UpstreamGroup {
  /** Name for logs, events and responses, e.g. "primary" or "hosted". */
  readonly name: string;
  /** Cluster ids (region/cluster) whose replicas belong to this group. */
  readonly clusters: ReadonlySet<string>;
  /** Model name sent upstream, and reported to the client when this group answered. */
  readonly model: string;
  /** Supports vLLM's continue_final_message (assistant prefill continuation). */
  readonly assistantPrefill: boolean;
  /** Same answer for the same seed at temperature 0 (allows token-exact replay). */
  readonly deterministic: boolean;
  /** Context length in tokens, when declared. */
  readonly contextLengthTokens?: number;
}

export interface ModelRoute {
  /** The model name clients ask for. */
  readonly model: string;
  readonly groups: readonly UpstreamGroup[];
}

/** The route used when a topology declares none: every cluster, stand-in capabilities. */
export function defaultRoute(modelName: string, clusterIds: readonly string[]): ModelRoute {
  return {
    model: modelName,
    groups: [{ name: 'default', clusters: new Set(clusterIds), model: modelName, assistantPrefill: true, deterministic: false }],
  };
}

/**
 * The default route of a topology whose clusters are all real llama.cpp engines: greedy decoding
 * (temperature 0) is deterministic, so a cut answer is continued by token-exact replay; llama.cpp
 * re-tokenizes a prefilled assistant text, which need not give the same tokens, so no prefill.
 */
export function llamacppRoute(modelName: string, clusterIds: readonly string[]): ModelRoute {
  return { model: modelName, groups: [{ name: 'default', clusters: new Set(clusterIds), model: modelName, assistantPrefill: false, deterministic: true }] };
}

/** The routes of a topology (validated by src/core/topology.ts). */
export function routesFromTopology(topology: Topology): ModelRoute[] {
  const ids = topology.clusters.map((c) => c.id);
  if ((!topology.routes || topology.routes.length === 0) && topology.clusters.every((c) => c.runtime === 'llamacpp')) return [llamacppRoute(topology.model.name, ids)];
  if (!topology.routes || topology.routes.length === 0) return [defaultRoute(topology.model.name, ids)];
  return topology.routes.map((r) => ({
    model: r.model,
    groups: r.groups.map((g, i) => ({
      name: g.name ?? `${r.model}-${i}`,
      clusters: new Set(g.clusters),
      model: g.model ?? topology.model.name,
      assistantPrefill: g.assistantPrefill,
      deterministic: g.deterministic,
      ...(g.contextLength !== undefined ? { contextLengthTokens: g.contextLength } : {}),
    })),
  }));
}

/** The route for a requested model (undefined: the first route), or undefined when unknown. */
export function findRoute(routes: readonly ModelRoute[], model: string | undefined): ModelRoute | undefined {
  if (model === undefined) return routes[0];
  return routes.find((r) => r.model === model);
}
