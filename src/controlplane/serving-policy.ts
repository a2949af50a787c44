// Which clusters serve traffic, pure. Each region's primary clusters serve while their healthy
// fraction stays at or above their threshold; when one falls below, the region's healthy backup
// clusters are promoted, and demoted again once every primary has recovered (failback).
// Superseded for serving decisions by the phase-based src/controlplane/failover-policy.ts (drain,
// background recovery, standby), which the live control plane and the simulator run; clusterOk is
// shared.

export interface ClusterHealth {
  readonly id: string;
  readonly region: string;
  readonly role: 'primary' | 'backup';
  readonly healthy: number;
  readonly total: number;
  readonly minHealthyFraction: number;
}

export type ServingDecision =
  | { readonly type: 'cluster.failed'; readonly cluster: string; readonly reason: string }
  | { readonly type: 'cluster.recovered'; readonly cluster: string; readonly reason: string }
  | { readonly type: 'cluster.promoted'; readonly cluster: string; readonly reason: string }
  | { readonly type: 'cluster.demoted'; readonly cluster: string; readonly reason: string }
  | { readonly type: 'region.no-healthy-backup'; readonly cluster: string; readonly reason: string };

export interface ServingState {
  /** Clusters whose replicas are routable. */
  readonly serving: ReadonlySet<string>;
  /** Clusters currently below their threshold. */
  readonly failed: ReadonlySet<string>;
}

export const INITIAL_SERVING: ServingState = { serving: new Set(), failed: new Set() };

export function clusterOk(c: ClusterHealth): boolean {
  return c.total > 0 && c.healthy / c.total >= c.minHealthyFraction;
}

/** Computes the next serving set and the decisions (events) that lead to it. */
export function decideServing(clusters: readonly ClusterHealth[], prev: ServingState): { state: ServingState; decisions: ServingDecision[] } {
  const decisions: ServingDecision[] = [];
  const serving = new Set<string>();
  const failed = new Set<string>();
  const regions = [...new Set(clusters.map((c) => c.region))];
  for (const region of regions) {
    const inRegion = clusters.filter((c) => c.region === region);
    const primaries = inRegion.filter((c) => c.role === 'primary');
    const backups = inRegion.filter((c) => c.role === 'backup');
    for (const c of inRegion) {
      const ok = clusterOk(c);
      const reason = `${c.healthy}/${c.total} healthy, threshold ${c.minHealthyFraction}`;
      if (!ok) failed.add(c.id);
      if (!ok && !prev.failed.has(c.id)) decisions.push({ type: 'cluster.failed', cluster: c.id, reason });
      if (ok && prev.failed.has(c.id)) decisions.push({ type: 'cluster.recovered', cluster: c.id, reason });
    }
    const primaryDown = primaries.filter((c) => failed.has(c.id));
    for (const c of primaries) if (c.healthy > 0) serving.add(c.id);
    if (primaryDown.length > 0 || primaries.length === 0) {
      const healthyBackups = backups.filter((c) => !failed.has(c.id));
      for (const b of healthyBackups) {
        serving.add(b.id);
        if (!prev.serving.has(b.id)) {
          decisions.push({ type: 'cluster.promoted', cluster: b.id, reason: `primary ${primaryDown.map((c) => c.id).join(', ') || 'absent'} below threshold` });
        }
      }
      const newlyLost = primaryDown.some((c) => !prev.failed.has(c.id)) || backups.some((b) => prev.serving.has(b.id) && failed.has(b.id));
      if (healthyBackups.length === 0 && newlyLost) {
        decisions.push({ type: 'region.no-healthy-backup', cluster: primaryDown[0]?.id ?? region, reason: `no healthy backup cluster in ${region}` });
      }
    }
    for (const b of backups) {
      if (prev.serving.has(b.id) && !serving.has(b.id)) {
        decisions.push({ type: 'cluster.demoted', cluster: b.id, reason: failed.has(b.id) ? 'backup below threshold' : 'primaries recovered' });
      }
    }
  }
  return { state: { serving, failed }, decisions };
}
