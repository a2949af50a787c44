// Rolling update, pure: one replica at a time out of routing, drained (bounded), the new version
// loaded, verified healthy by the control plane's probes (the known-answer probe included), put
// back, watched, then the next. A replica that fails is restored to the old version, and (scope
// `all`) so is every replica updated before it; the deployment ends rolled back.
//
// Drain and resume: what still runs at the drain bound is cut when the model unloads, and the
// gateway resumes it — but only on a replica of the SAME version (tokens depend on the version).
// So at the bound the policy asks whether another routable replica of the old version is in the
// region; when none is (the region's last old replica), it keeps draining — in drain bounds, up
// to the per-replica bound (verifyTimeoutMs) — since cutting would fail those requests.
//
// Answers: health probes see a replica's errors only through the requests it served between two
// probes (the prober needs 5), so under light traffic an erring version passed verification and
// the watch alike and rolled out to the whole fleet (found by the virtual-time harness). Now each
// updated replica's answers are sampled by the deployment's own client as soon as it is back in
// routing, and judged like green's (judgeAnswers: wrong answers, error rate, with the client
// traffic it served in the window) before the watch and the next replica; a version whose answers
// err is rolled back whatever the traffic. (Judging while still held would keep a region whose
// last routable replica is being updated out of service for the whole judgement: seed 466.)
import type { DeployConfig, DeploySlo } from './rollout-config.js';
import { EV } from '../record/event-types.js';
import { expectResult, note, type DeployAction, type DeployOutcome, type DeployPolicy, type DeployResult, type FleetReplica, type GroupSamples } from './rollout-actions.js';
import { judgeAnswers, mergeGroups } from './canary-judge.js';

/** A drain past the bound goes in steps of at least this long. */
const DRAIN_EXTENSION_MIN_MS = 250;

type Step = Generator<DeployAction, { ok: true } | { ok: false; reason: string }, DeployResult>;

/** Rolling order: non-serving replicas first (a bad version shows there at no client cost), then serving ones, region by region. */
export function rollingOrder(fleet: readonly FleetReplica[]): FleetReplica[] {
  return [...fleet].sort((a, b) => Number(a.serving) - Number(b.serving) || a.region.localeCompare(b.region) || a.cluster.localeCompare(b.cluster) || a.id.localeCompare(b.id, 'en', { numeric: true }));
}

/** Takes a replica out of routing and drains it; used by updates and restores. */
export function* drainReplica(id: string, fromVersion: string, cfg: DeployConfig): Generator<DeployAction, void, DeployResult> {
  yield { kind: 'hold', replicaId: id, held: true };
  yield note('deploy.replica-held', id, 'out of routing');
  if (cfg.settleMs > 0) yield { kind: 'wait', ms: cfg.settleMs };
  let d = expectResult(yield { kind: 'drain', replicaId: id, timeoutMs: cfg.drainMs, fromVersion }, 'drained');
  // cutting now would fail what runs (no replica of its version to resume on): keep draining, in
  // drain bounds, up to the per-replica bound (answers are bounded by max_tokens, so they end)
  const stepMs = Math.max(cfg.drainMs, DRAIN_EXTENSION_MIN_MS);
  for (let waited = cfg.drainMs; !d.drained && !d.peerAvailable && d.error === undefined && waited < cfg.verifyTimeoutMs; waited += stepMs) {
    if (waited === cfg.drainMs) yield note('deploy.drain-extended', id, `${d.inFlight} request(s) still running and no other routable replica of ${fromVersion} in the region could resume them`, { inFlight: d.inFlight });
    d = expectResult(yield { kind: 'drain', replicaId: id, timeoutMs: Math.max(1, Math.min(stepMs, cfg.verifyTimeoutMs - waited)), fromVersion }, 'drained');
  }
  if (d.error !== undefined) yield note(EV.deployDrainFailed, id, d.error, { inFlight: null, drained: false });
  else yield note('deploy.replica-drained', id, d.drained ? 'no request in flight' : `drain bound reached: ${d.inFlight} request(s) will be resumed elsewhere`, { inFlight: d.inFlight, drained: d.drained });
}

/**
 * Samples an updated replica's answers in windows of `minSamples` requests until the
 * judge decides, within the per-replica bound: ok, or the reason its answers fail.
 */
export function* judgeReplica(id: string, version: string, cfg: DeployConfig, slo: DeploySlo): Step {
  const windowMs = Math.max(1, slo.minSamples) * cfg.sampleIntervalMs;
  let seen: GroupSamples | undefined;
  for (let elapsed = 0; ; ) {
    const a = expectResult(yield { kind: 'analyze', canary: [id], canaryVersion: version, baseline: [], baselineVersion: version, ms: windowMs }, 'analyzed');
    elapsed += windowMs;
    seen = mergeGroups(seen, a.canary);
    const j = judgeAnswers(seen, slo, id);
    yield note('deploy.smoke-test', id, j.verdict === 'worse' ? j.reasons.join('; ') : j.verdict === 'ok' ? 'answers correct, error rate within the SLO' : 'undecided', { verdict: j.verdict, ...j.stats });
    if (j.verdict === 'worse') return { ok: false, reason: `${id} failed its answer check on ${version}: ${j.reasons.join('; ')}` };
    if (j.verdict === 'ok') return { ok: true };
    if (elapsed >= cfg.verifyTimeoutMs) return { ok: false, reason: `${id}: too few answers on ${version} to judge within ${elapsed}ms` };
  }
}

/**
 * Updates one replica to `version`; leaves it in routing and watched when `watch` is set. With
 * `slo` (and `watch`), its sampled answers are judged (judgeReplica) once it is back in routing,
 * before the watch.
 */
export function* updateReplica(id: string, fromVersion: string, version: string, behaviour: string, cfg: DeployConfig, watch = true, slo?: DeploySlo): Step {
  yield note('deploy.replica-started', id, `${fromVersion} -> ${version}`);
  yield* drainReplica(id, fromVersion, cfg);
  const loaded = expectResult(yield { kind: 'load', replicaId: id, version, behaviour }, 'loaded');
  if (!loaded.ok) return { ok: false, reason: `loading ${version} on ${id} failed: ${loaded.error ?? 'unknown error'}` };
  yield note('deploy.replica-loaded', id, `model ${version} loaded`);
  const verified = expectResult(yield { kind: 'verify', replicaIds: [id], version, timeoutMs: cfg.verifyTimeoutMs }, 'verified');
  if (!verified.ok) return { ok: false, reason: `${id} failed verification on ${version}: ${verified.reason ?? 'not healthy'}` };
  yield note('deploy.replica-verified', id, 'healthy on the new version, known-answer probe correct');
  if (!watch) return { ok: true };
  yield { kind: 'hold', replicaId: id, held: false };
  yield note('deploy.replica-routed', id, 'back in routing');
  if (slo) {
    const judged = yield* judgeReplica(id, version, cfg, slo);
    if (!judged.ok) return judged;
  }
  if (cfg.watchMs > 0) {
    const watched = expectResult(yield { kind: 'watch', replicaIds: [id], ms: cfg.watchMs }, 'watched');
    if (!watched.ok) return { ok: false, reason: `${id} turned unhealthy on ${version} while watched: ${watched.reason ?? ''}` };
  }
  yield note('deploy.replica-done', id, `on ${version}`);
  return { ok: true };
}

/**
 * A restore that could not be confirmed (the load failed, or the replica is not healthy on the old
 * version — often a fault of its own, not the deployment's) hands the replica back to its health:
 * no longer held, it is routable again once its probes pass. (Found by the virtual-time harness:
 * left held, a replica that recovered later stayed out of routing for good.)
 */
function* releaseFailed(id: string, reason: string): Step {
  yield { kind: 'hold', replicaId: id, held: false };
  yield note('deploy.replica-released', id, `restore not confirmed; routable again once healthy: ${reason}`);
  return { ok: false, reason };
}

/** Brings a replica back to `version` (after a failed update), and into routing. */
export function* restoreReplica(id: string, version: string, cfg: DeployConfig, drain: boolean, runningVersion = ''): Step {
  yield note('deploy.replica-rollback', id, `back to ${version}`);
  if (drain) yield* drainReplica(id, runningVersion, cfg);
  else yield { kind: 'hold', replicaId: id, held: true };
  const restored = expectResult(yield { kind: 'restore', replicaId: id, version }, 'loaded');
  if (!restored.ok) return yield* releaseFailed(id, `restoring ${version} on ${id} failed: ${restored.error ?? 'unknown error'}`);
  const verified = expectResult(yield { kind: 'verify', replicaIds: [id], version, timeoutMs: cfg.verifyTimeoutMs }, 'verified');
  if (!verified.ok) return yield* releaseFailed(id, `${id} is not healthy after restoring ${version}: ${verified.reason ?? ''}`);
  yield { kind: 'hold', replicaId: id, held: false };
  yield note('deploy.replica-restored', id, `on ${version}`);
  return { ok: true };
}

/** Restores the failed replica and (scope all) the updated ones, newest first; the outcome names what failed. */
export function* rollBack(failed: readonly string[], updated: readonly string[], fromVersion: string, version: string, reason: string, cfg: DeployConfig): Generator<DeployAction, DeployOutcome, DeployResult> {
  yield note('deploy.rollback-started', undefined, reason, { failed, updated: cfg.rollbackScope === 'all' ? updated : [] });
  const errors: string[] = [];
  for (const id of failed) {
    const r = yield* restoreReplica(id, fromVersion, cfg, true, version);
    if (!r.ok) errors.push(r.reason);
  }
  const others = cfg.rollbackScope === 'all' ? [...updated].reverse() : [];
  yield { kind: 'desire', replicaIds: [...failed, ...others], version: fromVersion, behaviour: 'ok' };
  for (const id of others) {
    const r = yield* restoreReplica(id, fromVersion, cfg, true, version);
    if (!r.ok) errors.push(r.reason);
  }
  if (errors.length > 0) return { state: 'failed', reason: `${reason}; rollback incomplete: ${errors.join('; ')}` };
  return { state: 'rolled-back', reason };
}

/** Updates `replicas` one at a time (judging each one's answers with `slo`); `alreadyUpdated` counts toward a scope-all rollback. */
export function* rollThrough(replicas: readonly FleetReplica[], fromVersion: string, version: string, behaviour: string, cfg: DeployConfig, alreadyUpdated: readonly string[] = [], slo?: DeploySlo): Generator<DeployAction, DeployOutcome, DeployResult> {
  const updated = [...alreadyUpdated];
  const skipped: string[] = [];
  for (const r of replicas) {
    const now = expectResult(yield { kind: 'inspect', replicaId: r.id }, 'inspected');
    if (!now.connected) {
      // a replica that is down now is brought to the new version when it registers again
      yield { kind: 'desire', replicaIds: [r.id], version, behaviour };
      yield note('deploy.replica-skipped', r.id, `not connected; it loads ${version} when it comes back`);
      skipped.push(r.id);
      continue;
    }
    if (now.modelVersion === version) {
      yield note('deploy.replica-skipped', r.id, `already on ${version}`);
      continue;
    }
    const result = yield* updateReplica(r.id, now.modelVersion || fromVersion, version, behaviour, cfg, true, slo);
    if (!result.ok) return yield* rollBack([r.id], updated, fromVersion, version, result.reason, cfg);
    updated.push(r.id);
    yield { kind: 'desire', replicaIds: [r.id], version, behaviour };
  }
  return { state: 'succeeded', reason: `${updated.length} replica(s) on ${version}${skipped.length ? `; ${skipped.join(', ')} down, brought to ${version} when back` : ''}` };
}

export function* rollingPolicy(fleet: readonly FleetReplica[], fromVersion: string, version: string, behaviour: string, cfg: DeployConfig, slo: DeploySlo): DeployPolicy {
  const order = rollingOrder(fleet);
  yield note('deploy.plan', undefined, `rolling ${order.length} replica(s) one at a time`, { order: order.map((r) => r.id) });
  return yield* rollThrough(order, fromVersion, version, behaviour, cfg, [], slo);
}
