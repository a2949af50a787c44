// Detection time of a failure, from the live control plane's own health policy driven by a
// virtual clock: probes start at a random phase of the healthy interval, and each fails the way
// the failure makes it fail. Only the incident is simulated, never the healthy time around it.
import { VirtualClock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import { INITIAL_SIGNAL, nextProbeDelayMs, observe, initialSignals, type HealthPolicyConfig, type ReplicaSignals, type SignalState } from '../policy/health.js';

/**
 * How a failure shows to the health checker: `disconnect` — the heartbeat stream ends (process or
 * host died; immediate); `fatal` — the next probe reports it and it counts at once (a GPU Xid);
 * `timeout` — probes time out and must fail `unhealthyThreshold` times (a dead switch, a hang).
 */
export type FailureSignature = 'disconnect' | 'fatal' | 'timeout';

const HEALTHY: SignalState = { health: 'healthy', consecutiveOk: 5, consecutiveFail: 0 };

/**
 * The delays between the first probe after a failure and its detection, per policy and signature:
 * they do not depend on the draw (only the first probe's phase does), so they are worked out once
 * and then added to each draw in the same order the virtual clock adds them (the same sums).
 */
const delaysCache = new WeakMap<HealthPolicyConfig, Map<FailureSignature, readonly number[] | null>>();

/** Milliseconds from the failure until the health policy marks the replica unhealthy. */
export function detectionMs(signature: FailureSignature, policy: HealthPolicyConfig, rng: Rng): number {
  if (signature === 'disconnect') return 0;
  let byPolicy = delaysCache.get(policy);
  if (!byPolicy) delaysCache.set(policy, (byPolicy = new Map()));
  let delays = byPolicy.get(signature);
  if (delays === undefined) byPolicy.set(signature, (delays = detectionDelays(signature, policy)));
  let t = Math.max(0, rng.uniform(0, policy.intervalMs));
  // never detected (a policy that cannot fail a signal): 0, as before
  if (delays === null) return 0;
  for (const d of delays) t += d;
  return t;
}

/** The delays (each as the virtual clock would add it) from the first probe to the detection. */
function detectionDelays(signature: FailureSignature, policy: HealthPolicyConfig): number[] | null {
  const delays: number[] = [];
  const clock = new VirtualClock(0);
  const setTimer = (ms: number, fn: () => void): void => {
    delays.push(Math.max(0, ms));
    clock.setTimer(ms, fn);
  };
  let signals: ReplicaSignals = Object.fromEntries(Object.keys(initialSignals()).map((k) => [k, HEALTHY])) as unknown as ReplicaSignals;
  let detectedAt: number | undefined;
  const probe = (): void => {
    const costMs = signature === 'timeout' ? policy.probeTimeoutMs : 0;
    setTimer(costMs, () => {
      const { state, transition } = observe(signals.inference ?? INITIAL_SIGNAL, false, policy, signature, signature === 'fatal');
      signals = { ...signals, inference: state };
      if (transition?.to === 'unhealthy') detectedAt = clock.nowMs();
      else setTimer(nextProbeDelayMs(signals, policy), probe);
    });
  };
  clock.setTimer(0, probe);
  while (detectedAt === undefined && clock.step()) {
    // each step is one probe; bounded by the threshold
  }
  return detectedAt === undefined ? null : delays;
}
