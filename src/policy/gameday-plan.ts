// Game-day planning, pure: Chaos-Monkey-style faults at random times from a weighted catalogue,
// within blast-radius limits (at most `maxReplicas` replicas affected at once, and never more than
// one region at a time). The whole plan is drawn from the seed before the game day starts, so the
// same seed injects the same faults in the same order.
import { HalabError } from '../core/errors.js';
import { faultKindInfo } from '../config/fault-kinds.js';
import type { Rng } from '../core/rng.js';
import type { ResolvedFault } from '../config/scenario.js';
import type { Topology } from '../config/topology.js';

export interface WeightedKind {
  readonly kind: string;
  readonly weight: number;
}

/** Faults this lab can inject, weighted by how often they happen in real fleets. */
export const DEFAULT_CATALOGUE: readonly WeightedKind[] = [
  { kind: 'replica.crash', weight: 4 },
  { kind: 'gpu.xid', weight: 3 },
  { kind: 'replica.stream-cut', weight: 2 },
  { kind: 'replica.hang', weight: 1 },
  { kind: 'gpu.thermal', weight: 2 },
  { kind: 'replica.slow', weight: 1 },
  { kind: 'replica.error-rate', weight: 1 },
  { kind: 'model.corrupt', weight: 1 },
  { kind: 'cluster.degrade', weight: 1 },
];

export interface GamedayPlanOptions {
  readonly durationMs: number;
  /** Mean time between fault starts (Poisson arrivals). */
  readonly meanIntervalMs: number;
  readonly minFaultMs: number;
  readonly maxFaultMs: number;
  /** Most replicas affected by faults at the same time. */
  readonly maxReplicas: number;
  /** Quiet time at the end so the last fault heals under observation. */
  readonly tailMs: number;
  readonly catalogue: readonly WeightedKind[];
  /** Whether a kind can be applied to a target (e.g. an external endpoint has a command for it); default: all. */
  readonly injectable?: (kind: string, target: string) => boolean;
}

export const DEFAULT_GAMEDAY_PLAN: Omit<GamedayPlanOptions, 'durationMs'> = {
  meanIntervalMs: 30_000,
  minFaultMs: 10_000,
  maxFaultMs: 45_000,
  maxReplicas: 2,
  tailMs: 15_000,
  catalogue: DEFAULT_CATALOGUE,
};

function affected(kind: string, target: string, topology: Topology, count: number): string[] {
  const scope = faultKindInfo(kind)!.target;
  const ids = topology.replicas.filter((r) => (scope === 'replica' ? r.id === target : scope === 'cluster' ? `${r.region}/${r.cluster}` === target : r.region === target)).map((r) => r.id);
  return kind === 'cluster.degrade' ? ids.slice(0, count) : kind === 'gateway.crash' ? [] : ids;
}

function pickKind(catalogue: readonly WeightedKind[], rng: Rng): string {
  const total = catalogue.reduce((s, k) => s + k.weight, 0);
  let x = rng.next() * total;
  for (const k of catalogue) {
    x -= k.weight;
    if (x < 0) return k.kind;
  }
  return catalogue[catalogue.length - 1]!.kind;
}

export interface PlannedFault extends ResolvedFault {
  readonly forMs: number;
  readonly region: string;
  readonly replicas: readonly string[];
}

/** Most fault arrivals a plan may expect (duration ÷ mean interval): bounds the planning loop. */
export const MAX_GAMEDAY_ARRIVALS = 10_000;

export function planGameday(topology: Topology, opts: GamedayPlanOptions, rng: Rng): PlannedFault[] {
  if (!(opts.meanIntervalMs > 0) || !(opts.durationMs / opts.meanIntervalMs <= MAX_GAMEDAY_ARRIVALS)) {
    throw new HalabError('USAGE', `a game day of ${opts.durationMs}ms with a mean interval of ${opts.meanIntervalMs}ms expects more than ${MAX_GAMEDAY_ARRIVALS} faults`, 'use a longer mean interval');
  }
  if (!(opts.minFaultMs > 0 && opts.minFaultMs <= opts.maxFaultMs)) throw new HalabError('USAGE', `fault length must be 0 < min (${opts.minFaultMs}ms) <= max (${opts.maxFaultMs}ms)`);
  const plan: PlannedFault[] = [];
  let at = 0;
  for (let n = 0; ; n++) {
    at += Math.round(rng.exponential(opts.meanIntervalMs));
    if (at + opts.minFaultMs > opts.durationMs - opts.tailMs) break;
    const kind = pickKind(opts.catalogue, rng);
    const forMs = Math.min(Math.round(rng.uniform(opts.minFaultMs, opts.maxFaultMs)), opts.durationMs - opts.tailMs - at);
    const scope = faultKindInfo(kind)!.target;
    const count = 1;
    const pool = scope === 'replica' ? topology.replicas.map((r) => r.id) : scope === 'cluster' ? topology.clusters.map((c) => c.id) : scope === 'clients' ? ['clients'] : topology.regions.map((r) => r.name);
    // client-side faults (load.*) touch no replica and no region: they take no part in the blast radius
    const live = plan.filter((f) => f.atMs < at + forMs && f.atMs + f.forMs > at && f.region !== 'clients');
    const liveReplicas = new Set(live.flatMap((f) => f.replicas));
    const liveRegions = new Set(live.map((f) => f.region));
    const allowed = pool.filter((target) => {
      const hit = affected(kind, target, topology, count);
      const region = target.split('/')[0]!;
      const overlap = hit.some((id) => liveReplicas.has(id));
      return !overlap && liveReplicas.size + hit.length <= opts.maxReplicas && (scope === 'clients' || liveRegions.size === 0 || liveRegions.has(region)) && (opts.injectable?.(kind, target) ?? true);
    });
    if (allowed.length === 0) continue; // the blast radius is full: this arrival is skipped
    const target = rng.pick(allowed);
    plan.push({
      faultId: `g${n}-${kind}`,
      kind,
      target,
      atMs: at,
      forMs,
      region: target.split('/')[0]!,
      replicas: affected(kind, target, topology, count),
      ...(kind === 'cluster.degrade' ? { params: { count } } : {}),
    });
  }
  return plan;
}
