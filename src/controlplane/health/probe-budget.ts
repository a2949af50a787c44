// The control plane's idle cost as the fleet grows: a fleet-wide budget of active probes per
// second (each probe is a gRPC Health call and a real completion) and of heartbeats per second.
// Up to budget ÷ rate replicas nothing changes (the 12-replica labs keep their 500 ms probes);
// past it a healthy replica's probe interval (and an unhealthy one's) is stretched so the fleet
// stays within the budget, and heartbeats are spaced the same way. A heartbeat carries no fact the
// control plane uses but that its stream is open (its end is the crash signal, at once), so beats
// are at least 1 s apart (they were 250 ms) — what keeps the HTTP/2 stream visibly alive.
// What does not stretch: the edge interval (a replica whose health is changing is probed fast),
// the probe the control plane sends at once when a gateway ejects a replica (passive hint), and
// the heartbeat stream's end (a crash is seen at once, whatever the beat interval). What does: a
// hung replica that serves no traffic (so no gateway ejects it) is found within one stretched
// interval plus the failure threshold instead of one 500 ms interval.
import type { HealthPolicyConfig } from '../../policy/health.js';

/** Active probes per second the whole fleet may cost (default; topology probes.budgetPerSec overrides). */
export const DEFAULT_PROBE_BUDGET_PER_S = 24;
/** Longest healthy-state probe interval, however large the fleet. */
export const MAX_PROBE_INTERVAL_MS = 10_000;
/** Heartbeats per second the whole fleet may send, and the interval bounds. */
export const HEARTBEAT_BUDGET_PER_S = 48;
export const MIN_HEARTBEAT_INTERVAL_MS = 1000;
export const MAX_HEARTBEAT_INTERVAL_MS = 2000;

/** `baseMs` stretched so `replicas` events every interval stay within `perSec`, capped at maxMs. */
export function budgetedIntervalMs(baseMs: number, replicas: number, perSec: number, maxMs: number): number {
  if (replicas <= 0 || perSec <= 0) return baseMs;
  const fleetMs = Math.ceil((replicas * 1000) / perSec);
  return Math.max(baseMs, Math.min(Math.max(maxMs, baseMs), fleetMs));
}

/** The health policy for a fleet of `replicas`: healthy and unhealthy probe intervals within the budget. */
export function budgetedHealthPolicy(policy: HealthPolicyConfig, replicas: number, probesPerSec = DEFAULT_PROBE_BUDGET_PER_S): HealthPolicyConfig {
  const intervalMs = budgetedIntervalMs(policy.intervalMs, replicas, probesPerSec, MAX_PROBE_INTERVAL_MS);
  const unhealthyIntervalMs = budgetedIntervalMs(policy.unhealthyIntervalMs, replicas, probesPerSec, MAX_PROBE_INTERVAL_MS);
  if (intervalMs === policy.intervalMs && unhealthyIntervalMs === policy.unhealthyIntervalMs) return policy;
  return Object.freeze({ ...policy, intervalMs, unhealthyIntervalMs });
}

/** The heartbeat interval the control plane asks a fleet of `replicas` for. */
export function budgetedHeartbeatIntervalMs(replicas: number, beatsPerSec = HEARTBEAT_BUDGET_PER_S): number {
  return budgetedIntervalMs(MIN_HEARTBEAT_INTERVAL_MS, replicas, beatsPerSec, MAX_HEARTBEAT_INTERVAL_MS);
}
