// Cluster failover, pure: the seed's FailoverManager without its flaws. Each cluster is in one
// phase — active (serves), standby (a healthy spare), draining (failed: no new requests, in-flight
// ones get a bounded drain), recovering (waiting in the background for its replicas to be healthy
// again) — and every step is a decision the edge records as an event and, where needed, acts on.
//
//  active ──below threshold, a healthy standby exists──▶ draining ──drain done or bound──▶ recovering
//    ▲                                                                                       │
//    └──── promoted (the standby) ◀── standby ◀──────────── healthy again ─────────────────┘
//
// With no healthy standby a failed active cluster keeps serving what it still can and a critical
// `region.no-healthy-backup` decision is raised (once per episode). A recovered primary returns as
// the standby; after `failbackAfterMs` of being healthy it takes over again from a backup cluster
// by the same drain-first switchover (planned failback), unless failback is off (null).
import type { DataField } from '../record/event-types.js';

/** A cluster's health as the registry counts it. */
export interface ClusterHealth {
  readonly id: string;
  readonly region: string;
  readonly role: 'primary' | 'backup';
  readonly healthy: number;
  readonly total: number;
  /** Below this fraction of healthy replicas the cluster has failed. */
  readonly minHealthyFraction: number;
}

export function clusterOk(c: ClusterHealth): boolean {
  return c.total > 0 && c.healthy / c.total >= c.minHealthyFraction;
}

export type ClusterPhase = 'active' | 'standby' | 'draining' | 'recovering';

export interface ClusterFailoverState {
  readonly phase: ClusterPhase;
  /** Once healthy: a cluster that never came up has not failed. */
  readonly armed: boolean;
  /** When the phase began (epoch ms). */
  readonly sinceMs: number;
  /** A critical event was raised for this cluster's current failure. */
  readonly critical: boolean;
}

export interface FailoverState {
  readonly clusters: ReadonlyMap<string, ClusterFailoverState>;
}

export interface FailoverConfig {
  /** Bound on waiting for a failed cluster's in-flight requests. */
  readonly drainTimeoutMs: number;
  /** A recovered primary standing by takes over from a backup after this long healthy; null: never. */
  readonly failbackAfterMs: number | null;
}

export const DEFAULT_FAILOVER_CONFIG: FailoverConfig = Object.freeze({ drainTimeoutMs: 5000, failbackAfterMs: 10_000 });

type FailoverEventType = 'cluster.failed' | 'cluster.promoted' | 'cluster.demoted' | 'cluster.draining' | 'cluster.drained' | 'cluster.drain-failed' | 'cluster.recovering' | 'cluster.recovered' | 'cluster.standby' | 'region.no-healthy-backup';

/** One step to record; its data has the shape the event map declares for its type. */
export type FailoverDecision = { [T in FailoverEventType]: { readonly type: T; readonly cluster: string; readonly reason: string } & DataField<T> }[FailoverEventType];

export type FailoverAction =
  | { readonly type: 'drain'; readonly cluster: string; readonly timeoutMs: number }
  | { readonly type: 'undrain'; readonly cluster: string };

export interface DrainResult {
  /** Requests still running when the drain ended, on the replicas that answered. */
  readonly inFlight: number;
  readonly waitedMs: number;
  /** Replicas whose Drain call failed, with why: what runs on them is unknown. */
  readonly failed: readonly { readonly replica: string; readonly reason: string }[];
}

export interface FailoverStep {
  readonly state: FailoverState;
  readonly decisions: FailoverDecision[];
  readonly actions: FailoverAction[];
}

export function initialFailoverState(clusters: readonly Pick<ClusterHealth, 'id' | 'role'>[], nowMs: number): FailoverState {
  return { clusters: new Map(clusters.map((c) => [c.id, { phase: c.role === 'primary' ? 'active' : 'standby', armed: false, sinceMs: nowMs, critical: false }])) };
}

/** Clusters whose replicas may be routed to. */
export function servingClusters(state: FailoverState): Set<string> {
  return new Set([...state.clusters].filter(([, c]) => c.phase === 'active').map(([id]) => id));
}

/**
 * The phases a new leader or a restored control plane takes over from stored state: serving
 * clusters active, failed ones recovering (they come back as standby once healthy), others standby.
 */
export function adoptedFailoverState(prev: FailoverState, serving: ReadonlySet<string>, failed: ReadonlySet<string>, nowMs: number): FailoverState {
  const phase = (id: string): ClusterPhase => (serving.has(id) ? 'active' : failed.has(id) ? 'recovering' : 'standby');
  return { clusters: new Map([...prev.clusters.keys()].map((id) => [id, { phase: phase(id), armed: true, sinceMs: nowMs, critical: false }])) };
}

/** Clusters that have failed and not yet come back (draining or recovering). */
export function failedClusters(state: FailoverState): Set<string> {
  return new Set([...state.clusters].filter(([, c]) => c.phase === 'draining' || c.phase === 'recovering').map(([id]) => id));
}

function describe(c: ClusterHealth): string {
  return `${c.healthy}/${c.total} healthy, threshold ${c.minHealthyFraction}`;
}

/** Recomputes phases from the clusters' health at `nowMs`. */
export function stepFailover(clusters: readonly ClusterHealth[], prev: FailoverState, nowMs: number, cfg: FailoverConfig): FailoverStep {
  const next = new Map(prev.clusters);
  const decisions: FailoverDecision[] = [];
  const actions: FailoverAction[] = [];
  const get = (id: string): ClusterFailoverState => next.get(id) ?? { phase: 'standby', armed: false, sinceMs: nowMs, critical: false };
  const set = (id: string, patch: Partial<ClusterFailoverState>): void => {
    const cur = get(id);
    next.set(id, { ...cur, ...patch, ...(patch.phase && patch.phase !== cur.phase ? { sinceMs: nowMs } : {}) });
  };
  for (const c of clusters) if (clusterOk(c) && !get(c.id).armed) set(c.id, { armed: true });

  const switchover = (from: ClusterHealth, to: ClusterHealth, failed: boolean): void => {
    set(to.id, { phase: 'active', critical: false });
    set(from.id, { phase: 'draining', critical: false });
    if (failed) decisions.push({ type: 'cluster.failed', cluster: from.id, reason: describe(from) });
    else decisions.push({ type: 'cluster.demoted', cluster: from.id, reason: `primary ${to.id} healthy for ${cfg.failbackAfterMs}ms: planned failback` });
    decisions.push({ type: 'cluster.promoted', cluster: to.id, reason: failed ? `${from.id} below threshold (${describe(from)})` : `failback from ${from.id}` });
    decisions.push({ type: 'cluster.draining', cluster: from.id, reason: `no new requests; in-flight ones get up to ${cfg.drainTimeoutMs}ms`, data: { drainTimeoutMs: cfg.drainTimeoutMs } });
    actions.push({ type: 'drain', cluster: from.id, timeoutMs: cfg.drainTimeoutMs });
  };

  for (const region of [...new Set(clusters.map((c) => c.region))]) {
    const inRegion = clusters.filter((c) => c.region === region);
    const standbys = (): ClusterHealth[] =>
      inRegion
        .filter((c) => get(c.id).phase === 'standby' && clusterOk(c))
        .sort((a, b) => (a.role === b.role ? b.healthy - a.healthy : a.role === 'primary' ? -1 : 1));
    // Recovering clusters that are healthy again stand by — first, so that a failed active cluster
    // can hand over to one in this same step rather than at some later, unrelated change.
    for (const c of inRegion) {
      if (get(c.id).phase === 'recovering' && clusterOk(c)) {
        set(c.id, { phase: 'standby' });
        decisions.push({ type: 'cluster.recovered', cluster: c.id, reason: describe(c) });
        decisions.push({ type: 'cluster.standby', cluster: c.id, reason: 'returned as the standby cluster' });
        actions.push({ type: 'undrain', cluster: c.id });
      }
    }
    // Failed active clusters hand over to the best healthy standby.
    for (const c of inRegion) {
      const s = get(c.id);
      if (s.phase !== 'active' || !s.armed || clusterOk(c)) {
        if (s.phase === 'active' && s.critical && clusterOk(c)) {
          set(c.id, { critical: false });
          decisions.push({ type: 'cluster.recovered', cluster: c.id, reason: describe(c) });
        }
        continue;
      }
      const spare = standbys()[0];
      if (spare) switchover(c, spare, true);
      else if (!s.critical) {
        set(c.id, { critical: true });
        decisions.push({ type: 'cluster.failed', cluster: c.id, reason: describe(c) });
        decisions.push({ type: 'region.no-healthy-backup', cluster: c.id, reason: `no healthy standby cluster in ${region}; ${c.id} keeps serving ${c.healthy} replica(s)`, data: { severity: 'critical', region } });
      }
    }
    // Draining past its bound (the edge's drain did not report back): recover anyway.
    for (const c of inRegion) {
      const s = get(c.id);
      if (s.phase === 'draining' && nowMs - s.sinceMs >= cfg.drainTimeoutMs + 1000) {
        set(c.id, { phase: 'recovering' });
        decisions.push({ type: 'cluster.drained', cluster: c.id, reason: 'drain bound reached without a report', data: { inFlight: null, waitedMs: nowMs - s.sinceMs, bounded: true, drained: false } });
        decisions.push({ type: 'cluster.recovering', cluster: c.id, reason: 'waiting for its replicas to be healthy again' });
      }
    }
    // Planned failback: a primary standing by and healthy long enough replaces an active backup.
    if (cfg.failbackAfterMs !== null) {
      for (const active of inRegion.filter((c) => get(c.id).phase === 'active' && c.role === 'backup' && clusterOk(c))) {
        const primary = inRegion.find((c) => c.role === 'primary' && get(c.id).phase === 'standby' && clusterOk(c) && nowMs - get(c.id).sinceMs >= cfg.failbackAfterMs!);
        if (primary) switchover(active, primary, false);
      }
    }
  }
  return { state: { clusters: next }, decisions, actions };
}

/**
 * The edge finished draining a cluster: it now recovers in the background. A Drain call that
 * failed is a `cluster.drain-failed` decision, and the drain is then not `drained`.
 */
export function drainFinished(prev: FailoverState, cluster: string, result: DrainResult, nowMs: number, cfg: FailoverConfig): FailoverStep {
  const s = prev.clusters.get(cluster);
  if (!s || s.phase !== 'draining') return { state: prev, decisions: [], actions: [] };
  const next = new Map(prev.clusters);
  next.set(cluster, { ...s, phase: 'recovering', sinceMs: nowMs });
  const failed = result.failed.map((f) => f.replica);
  const decisions: FailoverDecision[] = [];
  if (failed.length > 0) {
    decisions.push({ type: 'cluster.drain-failed', cluster, reason: result.failed.map((f) => `${f.replica}: ${f.reason}`).join('; '), data: { failed: result.failed } });
  }
  const reason = failed.length > 0
    ? `drain failed on ${failed.join(', ')} (in-flight requests there unknown); ${result.inFlight} request(s) still running on the others`
    : result.inFlight === 0 ? 'every in-flight request finished' : `${result.inFlight} request(s) still running at the ${cfg.drainTimeoutMs}ms bound`;
  decisions.push(
    { type: 'cluster.drained', cluster, reason, data: { inFlight: result.inFlight, waitedMs: Math.round(result.waitedMs), bounded: result.inFlight > 0, drained: failed.length === 0 && result.inFlight === 0, failed } },
    { type: 'cluster.recovering', cluster, reason: 'waiting for its replicas to be healthy again' },
  );
  return { state: { clusters: next }, decisions, actions: [] };
}

/**
 * When the policy needs to look again without any health change (failback hold time, drain
 * bound): the earliest such time after `nowMs`. Times already past were looked at by the step
 * just run; taking them as the earliest would hide the ones still to come (a backup standing by
 * since the start would hide a recovered primary's failback time).
 */
export function nextWakeMs(state: FailoverState, cfg: FailoverConfig, nowMs = -Infinity): number | undefined {
  const times: number[] = [];
  for (const s of state.clusters.values()) {
    if (s.phase === 'draining') times.push(s.sinceMs + cfg.drainTimeoutMs + 1000);
    if (s.phase === 'standby' && cfg.failbackAfterMs !== null) times.push(s.sinceMs + cfg.failbackAfterMs);
  }
  const future = times.filter((t) => t > nowMs);
  return future.length ? Math.min(...future) : undefined;
}
