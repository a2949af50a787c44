// Canary with automatic rollback, pure: update a few serving replicas per region, send them a
// small share of new requests (traffic weights), compare them with the baseline window by window
// (deploy-judge.ts), and roll back at the first significant regression — or promote after the
// canary time and roll the rest. Detection time = canary live → rollback decided.
import type { DeployConfig, DeploySlo } from './rollout-config.js';
import { expectResult, note, type DeployPolicy, type FleetReplica, type GroupSamples } from './rollout-actions.js';
import { judgeCanary, mergeGroups } from './canary-judge.js';
import { restoreReplica, rollingOrder, rollThrough, updateReplica } from './rollout-rolling.js';

/**
 * Canary replicas: the first `perRegion` connected serving replicas of each region, leaving at
 * least one baseline replica per region that takes traffic now — a connected but unhealthy one
 * serves nothing, and holding the region's last routable replica for its canary update would take
 * the region out of service (found by the virtual-time harness, seed 975).
 */
export function pickCanaries(fleet: readonly FleetReplica[], perRegion: number): FleetReplica[] {
  const out: FleetReplica[] = [];
  for (const region of [...new Set(fleet.map((r) => r.region))].sort()) {
    const serving = rollingOrder(fleet.filter((r) => r.region === region && r.serving && r.connected));
    const routable = serving.filter((r) => r.routable !== false).length;
    out.push(...serving.slice(0, Math.min(perRegion, Math.max(0, routable - 1))));
  }
  return out;
}

/**
 * Weights giving `share` of each region's new requests to the `chosen` replicas and the rest to the
 * region's other serving replicas; normalised so the largest weight is 1.
 */
export function shareWeights(fleet: readonly FleetReplica[], chosen: ReadonlySet<string>, share: number): Record<string, number> {
  const weights: Record<string, number> = {};
  for (const region of new Set(fleet.map((r) => r.region))) {
    const inRegion = fleet.filter((r) => r.region === region);
    const a = inRegion.filter((r) => chosen.has(r.id));
    const b = inRegion.filter((r) => !chosen.has(r.id));
    if (a.length === 0) continue;
    const wa = b.length === 0 ? 1 : share / a.length;
    const wb = b.length === 0 ? 0 : (1 - share) / b.length;
    const max = Math.max(wa, wb);
    for (const r of a) weights[r.id] = wa / max;
    for (const r of b) weights[r.id] = wb / max;
  }
  return weights;
}

export function* canaryPolicy(fleet: readonly FleetReplica[], fromVersion: string, version: string, behaviour: string, cfg: DeployConfig, slo: DeploySlo): DeployPolicy {
  const canaries = pickCanaries(fleet, cfg.canaryReplicas);
  if (canaries.length === 0) return { state: 'failed', reason: 'no region has two connected serving replicas: nothing to compare a canary with' };
  const canaryIds = new Set(canaries.map((r) => r.id));
  const baseline = fleet.filter((r) => r.serving && r.connected && !canaryIds.has(r.id) && r.region && canaries.some((c) => c.region === r.region));
  const servingFleet = fleet.filter((r) => r.serving);
  yield note('deploy.plan', undefined, `canary ${[...canaryIds].join(', ')} at ${(cfg.canaryShare * 100).toFixed(0)}% of new requests for up to ${cfg.canaryMs}ms`, {
    canaries: [...canaryIds],
    baseline: baseline.map((r) => r.id),
    share: cfg.canaryShare,
  });
  const updated: string[] = [];
  for (const c of canaries) {
    const r = yield* updateReplica(c.id, fromVersion, version, behaviour, cfg, false);
    if (!r.ok) {
      yield note('deploy.rollback-decided', c.id, r.reason, { phase: 'canary-verify' });
      return yield* restoreAll([...updated, c.id], r.reason, false);
    }
    updated.push(c.id);
  }
  // weights first, then into routing: the canary never gets more than its share
  yield { kind: 'weights', weights: shareWeights(servingFleet, canaryIds, cfg.canaryShare) };
  for (const c of canaries) yield { kind: 'hold', replicaId: c.id, held: false };
  yield note('deploy.canary-live', undefined, `${canaries.length} canary replica(s) take ${(cfg.canaryShare * 100).toFixed(0)}% of new requests`);
  let canarySeen: GroupSamples | undefined;
  let baselineSeen: GroupSamples | undefined;
  let elapsed = 0;
  let lastVerdict = 'undecided';
  while (elapsed < cfg.canaryMs) {
    const ms = Math.min(cfg.analysisMs, cfg.canaryMs - elapsed);
    const a = expectResult(
      yield { kind: 'analyze', canary: [...canaryIds], canaryVersion: version, baseline: baseline.map((r) => r.id), baselineVersion: fromVersion, ms },
      'analyzed',
    );
    elapsed += ms;
    canarySeen = mergeGroups(canarySeen, a.canary);
    baselineSeen = mergeGroups(baselineSeen, a.baseline);
    const j = judgeCanary(canarySeen, baselineSeen, slo);
    lastVerdict = j.verdict;
    yield note('deploy.canary-analysis', undefined, j.verdict === 'worse' ? j.reasons.join('; ') : j.verdict, { verdict: j.verdict, ...j.stats });
    if (j.verdict === 'worse') {
      yield { kind: 'weights', weights: Object.fromEntries([...canaryIds].map((id) => [id, 0])) };
      const reason = `canary worse than baseline: ${j.reasons.join('; ')}`;
      yield note('deploy.rollback-decided', undefined, reason, { phase: 'canary-analysis', ...j.stats });
      return yield* restoreAll([...canaryIds], reason, true);
    }
  }
  if (lastVerdict !== 'ok') {
    yield { kind: 'weights', weights: Object.fromEntries([...canaryIds].map((id) => [id, 0])) };
    const reason = `too few canary samples to judge within ${cfg.canaryMs}ms`;
    yield note('deploy.rollback-decided', undefined, reason, { phase: 'canary-analysis' });
    return yield* restoreAll([...canaryIds], reason, true);
  }
  yield { kind: 'weights', weights: {} };
  yield { kind: 'desire', replicaIds: [...canaryIds], version, behaviour };
  yield note('deploy.canary-promoted', undefined, 'canary no worse than baseline; rolling the rest');
  const rest = rollingOrder(fleet.filter((r) => !canaryIds.has(r.id)));
  return yield* rollThrough(rest, fromVersion, version, behaviour, cfg, [...canaryIds]);

  function* restoreAll(ids: readonly string[], reason: string, drain: boolean): DeployPolicy {
    yield note('deploy.rollback-started', undefined, reason, { failed: ids });
    const errors: string[] = [];
    for (const id of ids) {
      const r = yield* restoreReplica(id, fromVersion, cfg, drain, version);
      if (!r.ok) errors.push(r.reason);
    }
    yield { kind: 'desire', replicaIds: ids, version: fromVersion, behaviour: 'ok' };
    yield { kind: 'weights', weights: {} };
    return errors.length ? { state: 'failed', reason: `${reason}; rollback incomplete: ${errors.join('; ')}` } : { state: 'rolled-back', reason };
  }
}
