// Blue-green, pure: a green replica (a new process) beside every blue one, smoke-tested, then
// traffic shifted to green in steps (default 10% → 50% → 100%) with green's SLOs checked
// throughout each step; any breach sends all traffic back to blue and retires green. After 100%
// blue stays up (routable at weight 0, so an instant switch back is possible and its streams can
// still resume) for the keep-blue time, then it is drained and retired.
import type { DeployConfig, DeploySlo } from './rollout-config.js';
import { expectResult, note, type DeployPolicy, type FleetReplica, type GroupSamples } from './rollout-actions.js';
import { judgeCanary, judgeGreen, mergeGroups, type JudgeResult } from './canary-judge.js';
import { shareWeights } from './rollout-canary.js';

/** Green id for each blue replica: the same cluster, indexes after the highest one in use. */
export function greenIds(fleet: readonly FleetReplica[]): { id: string; like: string }[] {
  const out: { id: string; like: string }[] = [];
  for (const cluster of [...new Set(fleet.map((r) => `${r.region}/${r.cluster}`))]) {
    const members = fleet.filter((r) => `${r.region}/${r.cluster}` === cluster);
    let next = Math.max(...members.map((r) => Number(r.id.split('/')[2]))) + 1;
    for (const r of members.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }))) out.push({ id: `${cluster}/${next++}`, like: r.id });
  }
  return out;
}

export function* blueGreenPolicy(fleet: readonly FleetReplica[], fromVersion: string, version: string, behaviour: string, cfg: DeployConfig, slo: DeploySlo): DeployPolicy {
  const blue = fleet.filter((r) => r.connected);
  if (blue.length === 0) return { state: 'failed', reason: 'no connected replica to deploy beside' };
  const green = greenIds(blue);
  const greenSet = new Set(green.map((g) => g.id));
  const blueIds = blue.map((r) => r.id);
  // the fleet as it will be: each green replica in its blue twin's region and cluster
  const both: FleetReplica[] = [...blue, ...green.map((g) => ({ ...blue.find((b) => b.id === g.like)!, id: g.id, modelVersion: version }))];
  const serving = both.filter((r) => r.serving);
  const servingGreen = serving.filter((r) => greenSet.has(r.id)).map((r) => r.id);
  const servingBlue = serving.filter((r) => !greenSet.has(r.id)).map((r) => r.id);
  yield note('deploy.plan', undefined, `green set of ${green.length} replica(s) beside blue; traffic steps ${cfg.steps.map((s) => `${Math.round(s * 100)}%`).join(' -> ')}`, {
    green: green.map((g) => g.id),
    blue: blueIds,
  });
  // green takes no new request until the first step
  yield { kind: 'weights', weights: Object.fromEntries(green.map((g) => [g.id, 0])) };
  yield { kind: 'spawn', replicas: green, version, behaviour };
  yield note('deploy.green-started', undefined, `${green.length} green process(es) starting on ${version}`);
  const verified = expectResult(yield { kind: 'verify', replicaIds: green.map((g) => g.id), version, timeoutMs: cfg.verifyTimeoutMs }, 'verified');
  if (!verified.ok) return yield* backToBlue(`green failed verification: ${verified.reason ?? 'not healthy'}`, false);
  yield note('deploy.green-verified', undefined, 'every green replica healthy, known-answer probe correct');
  if (servingGreen.length === 0) return yield* backToBlue('no green replica in a serving cluster', false);
  // smoke test: the deploy's own requests to green (and blue) before any client request, until the
  // judge has enough samples to decide; samples then accumulate over every step
  let seen: GroupSamples | undefined;
  let seenBlue: GroupSamples | undefined;
  for (let elapsed = 0; ; ) {
    const a = expectResult(yield { kind: 'analyze', canary: servingGreen, canaryVersion: version, baseline: servingBlue, baselineVersion: fromVersion, ms: cfg.analysisMs }, 'analyzed');
    elapsed += cfg.analysisMs;
    seen = mergeGroups(seen, a.canary);
    seenBlue = mergeGroups(seenBlue, a.baseline);
    const s = judge(seen, seenBlue);
    yield note('deploy.smoke-test', undefined, s.verdict === 'worse' ? s.reasons.join('; ') : s.verdict === 'ok' ? 'passed' : 'undecided', { verdict: s.verdict, ...s.stats });
    if (s.verdict === 'worse') return yield* backToBlue(`smoke test failed: ${s.reasons.join('; ')}`, false);
    if (s.verdict === 'ok') break;
    if (elapsed >= cfg.verifyTimeoutMs) return yield* backToBlue(`smoke test undecided after ${elapsed}ms: too few samples`, false);
  }
  for (const step of cfg.steps) {
    yield { kind: 'weights', weights: shareWeights(serving, new Set(servingGreen), step) };
    yield note('deploy.traffic-shifted', undefined, `green takes ${Math.round(step * 100)}% of new requests`, { share: step });
    for (let elapsed = 0; elapsed < cfg.stepMs; ) {
      const ms = Math.min(cfg.analysisMs, cfg.stepMs - elapsed);
      const a = expectResult(yield { kind: 'analyze', canary: servingGreen, canaryVersion: version, baseline: servingBlue, baselineVersion: fromVersion, ms }, 'analyzed');
      elapsed += ms;
      seen = mergeGroups(seen, a.canary);
      seenBlue = mergeGroups(seenBlue, a.baseline);
      const j = judge(seen, seenBlue);
      yield note('deploy.slo-check', undefined, j.verdict === 'worse' ? j.reasons.join('; ') : j.verdict, { share: step, verdict: j.verdict, ...j.stats });
      if (j.verdict === 'worse') return yield* backToBlue(`green breached its SLO at ${Math.round(step * 100)}%: ${j.reasons.join('; ')}`, true);
    }
  }
  // blue replicas that were down get no twin: they are brought to the new version when they return
  const down = fleet.filter((r) => !r.connected).map((r) => r.id);
  yield { kind: 'desire', replicaIds: [...green.map((g) => g.id), ...down], version, behaviour };
  yield note('deploy.keep-blue', undefined, `blue kept for ${cfg.keepBlueMs}ms at weight 0`, { blue: servingBlue });
  if (cfg.keepBlueMs > 0) yield { kind: 'wait', ms: cfg.keepBlueMs };
  yield { kind: 'retire', replicaIds: blueIds, drainMs: cfg.drainMs };
  yield { kind: 'weights', weights: {} };
  yield note('deploy.blue-retired', undefined, `${blueIds.length} blue replica(s) stopped`);
  return { state: 'succeeded', reason: `${green.length} green replica(s) on ${version} serve all traffic` };

  /** Green's SLOs, and no significant regression against blue (the canary judge's tests). */
  function judge(g: GroupSamples, b: GroupSamples): JudgeResult {
    const absolute = judgeGreen(g, slo);
    const relative = b.samples.length > 0 ? judgeCanary(g, b, slo) : undefined;
    const reasons = [...absolute.reasons, ...(relative?.verdict === 'worse' ? relative.reasons.map((r) => `against blue: ${r}`) : [])];
    const verdict = reasons.length > 0 ? 'worse' : absolute.verdict;
    return { verdict, reasons, stats: { ...absolute.stats, ...(relative ? { ttftRatio: relative.stats.ttftRatio ?? null, itlRatio: relative.stats.itlRatio ?? null, errorP: relative.stats.errorP ?? null } : {}) } };
  }

  function* backToBlue(reason: string, shifted: boolean): DeployPolicy {
    yield note('deploy.rollback-decided', undefined, reason, { phase: shifted ? 'traffic-step' : 'green-verify' });
    yield { kind: 'weights', weights: Object.fromEntries(green.map((g) => [g.id, 0])) };
    yield note('deploy.traffic-shifted', undefined, 'all new requests back to blue', { share: 0 });
    yield { kind: 'retire', replicaIds: green.map((g) => g.id), drainMs: cfg.drainMs };
    yield { kind: 'weights', weights: {} };
    yield note('deploy.green-retired', undefined, `${green.length} green replica(s) stopped`);
    return { state: 'rolled-back', reason };
  }
}
