// The fault catalogue: every fault kind the lab can inject, what it does, and what it targets.
// Scenario validation, `halab inject` and the chaos engine all read this one list.

/** `clients`: a client-side fault, applied by the load driver to a class of clients of its own. */
export type TargetKind = 'replica' | 'cluster' | 'region' | 'controlplane' | 'clients';

export interface FaultKindInfo {
  readonly kind: string;
  readonly target: TargetKind;
  readonly description: string;
  /** Default parameters, when the kind takes any (client-side kinds: `factor` is the misbehaving class's rate ÷ the load's rate). */
  readonly defaults?: { readonly factor?: number; readonly probability?: number; readonly afterTokens?: number; readonly count?: number; readonly latencyMs?: number };
}

export const FAULT_KINDS: readonly FaultKindInfo[] = [
  { kind: 'replica.crash', target: 'replica', description: 'the replica process is killed (SIGKILL); heal restarts it' },
  { kind: 'replica.hang', target: 'replica', description: 'the replica accepts connections and requests but never answers' },
  { kind: 'replica.slow', target: 'replica', description: 'every engine step takes `factor` times longer', defaults: { factor: 5 } },
  { kind: 'replica.stream-cut', target: 'replica', description: 'streams are cut mid-answer after `afterTokens` tokens', defaults: { afterTokens: 8 } },
  { kind: 'replica.error-rate', target: 'replica', description: 'requests fail with 500 with `probability`', defaults: { probability: 0.5 } },
  { kind: 'gpu.xid', target: 'replica', description: 'GPU Xid error: the GPU reports failed and every request fails' },
  { kind: 'gpu.thermal', target: 'replica', description: 'GPU thermal throttling: decode `factor` times slower', defaults: { factor: 3 } },
  { kind: 'model.corrupt', target: 'replica', description: 'the model produces wrong tokens; only checking output reveals it' },
  { kind: 'cluster.outage', target: 'cluster', description: 'every replica of the cluster is killed' },
  { kind: 'cluster.degrade', target: 'cluster', description: '`count` replicas of the cluster are killed', defaults: { count: 2 } },
  { kind: 'region.outage', target: 'region', description: 'every process of the region, gateway and control-plane instances placed there included, is killed' },
  { kind: 'region.partition', target: 'region', description: 'the region is cut off from the other region and the global load balancer' },
  { kind: 'gateway.crash', target: 'region', description: 'the regional gateway process is killed; heal restarts it' },
  { kind: 'link.latency', target: 'region', description: 'adds `latencyMs` to every connection into the region', defaults: { latencyMs: 200 } },
  { kind: 'link.partition', target: 'region', description: 'drops every connection into the region' },
  // misbehaviours of external endpoints, applied only through the commands their cluster configures
  { kind: 'upstream.rate-limit', target: 'replica', description: 'external endpoint answers 429 (with or without Retry-After, as its command sets)' },
  { kind: 'upstream.reset', target: 'replica', description: 'external endpoint resets connections before any header' },
  { kind: 'upstream.stall', target: 'replica', description: 'external endpoint stalls its streams mid-answer' },
  { kind: 'upstream.malformed', target: 'replica', description: 'external endpoint sends an event that is not valid JSON mid-stream' },
  { kind: 'upstream.no-done', target: 'replica', description: 'external endpoint finishes its answers but never sends [DONE]' },
  { kind: 'controlplane.kill-leader', target: 'controlplane', description: 'the leading control-plane instance is killed (SIGKILL); another takes over (with one instance, none does until the heal restarts it from its stored state); heal restarts it' },
  { kind: 'controlplane.disaster', target: 'controlplane', description: 'every control-plane instance is killed and its state wiped; heal restores the newest backup into a fresh control plane' },
  { kind: 'region.state-loss', target: 'region', description: "the region's stored completions are wiped (its gateway is killed first); heal restarts the gateway on an empty store" },
  // client-side faults: a class of misbehaving clients the load driver adds for the fault's window
  { kind: 'load.surge', target: 'clients', description: 'extra clients arrive at `factor - 1` times the load rate (the rate × `factor` in all), sending ordinary requests', defaults: { factor: 5 } },
  { kind: 'load.poison', target: 'clients', description: 'extra clients at `factor` times the load rate send poison: prompts beyond the context, absurd max_tokens, malformed bodies', defaults: { factor: 1 } },
  { kind: 'load.retry-storm', target: 'clients', description: 'extra clients at `factor` times the load rate retry at once, up to `count` times, on any error', defaults: { factor: 2, count: 10 } },
  { kind: 'load.disconnect-storm', target: 'clients', description: 'extra clients at `factor` times the load rate disconnect after `afterTokens` tokens', defaults: { factor: 2, afterTokens: 4 } },
  { kind: 'load.slow-reader', target: 'clients', description: 'extra clients at `factor` times the load rate read their stream slowly, `latencyMs` between reads', defaults: { factor: 1, latencyMs: 200 } },
];

/** Client-side kinds: applied by the load driver during `halab run`, never by an injector on the lab. */
export function isClientFaultKind(kind: string): boolean {
  return faultKindInfo(kind)?.target === 'clients';
}

/** Kinds that exist only as configured commands on external endpoints. */
export function isCommandOnlyKind(kind: string): boolean {
  return kind.startsWith('upstream.');
}

export function faultKindInfo(kind: string): FaultKindInfo | undefined {
  return FAULT_KINDS.find((k) => k.kind === kind);
}

export function faultKindNames(): string[] {
  return FAULT_KINDS.map((k) => k.kind);
}
