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

/** Milliseconds from the failure until the health policy marks the replica unhealthy. */
export function detectionMs(signature: FailureSignature, policy: HealthPolicyConfig, rng: Rng): number {
  if (signature === 'disconnect') return 0;
  const clock = new VirtualClock(0);
  let signals: ReplicaSignals = Object.fromEntries(Object.keys(initialSignals()).map((k) => [k, HEALTHY])) as unknown as ReplicaSignals;
  let detectedAt: number | undefined;
  const probe = (): void => {
    const costMs = signature === 'timeout' ? policy.probeTimeoutMs : 0;
    clock.setTimer(costMs, () => {
      const { state, transition } = observe(signals.inference ?? INITIAL_SIGNAL, false, policy, signature, signature === 'fatal');
      signals = { ...signals, inference: state };
      if (transition?.to === 'unhealthy') detectedAt = clock.nowMs();
      else clock.setTimer(nextProbeDelayMs(signals, policy), probe);
    });
  };
  clock.setTimer(rng.uniform(0, policy.intervalMs), probe);
  while (detectedAt === undefined && clock.step()) {
    // each step is one probe; bounded by the threshold
  }
  return detectedAt ?? 0;
}
