// A short randomized fault history for one seed: which faults of the catalogue hit which targets,
// when, and for how long (TigerBeetle-style: each fault lasts at least a minimum, so that it can be
// detected, and every fault heals before the liveness window). The schedule is what the real
// chaos engine runs.
import type { Rng } from '../../core/rng.js';
import type { Topology } from '../../config/topology.js';
import type { ScheduledFault } from '../../chaos/engine.js';

/** Kinds the simulated world carries out, each with its relative weight in a history. */
export const SIM_FAULT_KINDS: Readonly<Record<string, number>> = Object.freeze({
  'replica.crash': 4,
  'replica.hang': 3,
  'replica.error-rate': 1,
  'replica.slow': 1,
  'gpu.xid': 2,
  'gpu.thermal': 1,
  'model.corrupt': 1,
  'cluster.outage': 3,
  'cluster.degrade': 2,
  'region.outage': 1,
  'gateway.crash': 1,
});

export interface HistoryConfig {
  /** Faults start no earlier than this (the fleet has come up), ms. */
  readonly warmupMs: number;
  /** Faults start before this and heal by it at the latest, ms. */
  readonly historyMs: number;
  readonly faultsMax: number;
  readonly faultMinMs: number;
  readonly faultMaxMs: number;
}

export const DEFAULT_HISTORY: HistoryConfig = Object.freeze({ warmupMs: 10_000, historyMs: 120_000, faultsMax: 4, faultMinMs: 2_000, faultMaxMs: 60_000 });

const TARGET_OF: Readonly<Record<string, 'replica' | 'cluster' | 'region'>> = {
  'cluster.outage': 'cluster',
  'cluster.degrade': 'cluster',
  'region.outage': 'region',
  'gateway.crash': 'region',
};

function pickKind(rng: Rng): string {
  const entries = Object.entries(SIM_FAULT_KINDS);
  let x = rng.next() * entries.reduce((s, [, w]) => s + w, 0);
  for (const [kind, w] of entries) if ((x -= w) < 0) return kind;
  return entries[0]![0];
}

/** One to `faultsMax` faults at random times within the history, each healed before it ends. */
export function faultHistory(rng: Rng, topology: Topology, cfg: HistoryConfig = DEFAULT_HISTORY): ScheduledFault[] {
  const n = rng.int(1, cfg.faultsMax);
  const out: ScheduledFault[] = [];
  for (let i = 0; i < n; i++) {
    const kind = pickKind(rng);
    const scope = TARGET_OF[kind] ?? 'replica';
    const target = scope === 'replica' ? rng.pick(topology.replicas).id : scope === 'cluster' ? rng.pick(topology.clusters).id : rng.pick(topology.regions).name;
    const latestStart = cfg.historyMs - cfg.faultMinMs;
    const atMs = Math.round(rng.uniform(cfg.warmupMs, latestStart));
    const forMs = Math.round(Math.min(cfg.historyMs - atMs, rng.uniform(cfg.faultMinMs, cfg.faultMaxMs)));
    out.push({ faultId: `f${i + 1}`, kind, target, atMs, forMs });
  }
  return out.sort((a, b) => a.atMs - b.atMs || a.faultId.localeCompare(b.faultId));
}

/** A deployment during the history: when, how, and whether the new version is bad. */
export interface DeployPlan {
  readonly atMs: number;
  readonly strategy: 'rolling' | 'canary';
  readonly modelVersion: string;
  readonly behaviour: string;
  /** Deploy options (durations in ms), short enough to end within the history. */
  readonly options: Readonly<Record<string, number>>;
}

/** Share of histories with a deployment, and of those with a bad new version. */
const DEPLOY_SHARE = 0.4;
const BAD_VERSION_SHARE = 0.4;
const BAD_BEHAVIOURS = ['crash-on-load', 'corrupt', 'error-rate', 'slow'] as const;
export const SIM_DEPLOY_OPTIONS: Readonly<Record<string, number>> = Object.freeze({ drainMs: 2000, verifyTimeoutMs: 30_000, watchMs: 5000, canaryMs: 20_000, analysisMs: 10_000, stepMs: 10_000 });

/** A deployment for some histories (drawn from its own fork of the seed), or none. */
export function deployPlan(rng: Rng, cfg: HistoryConfig = DEFAULT_HISTORY): DeployPlan | undefined {
  if (rng.next() >= DEPLOY_SHARE) return undefined;
  const strategy = rng.next() < 0.5 ? 'rolling' : 'canary';
  const behaviour = rng.next() < BAD_VERSION_SHARE ? rng.pick(BAD_BEHAVIOURS) : 'ok';
  return { atMs: Math.round(rng.uniform(cfg.warmupMs, cfg.historyMs / 2)), strategy, modelVersion: 'v2', behaviour, options: SIM_DEPLOY_OPTIONS };
}
