// Outlier ejection times, pure: how long the n-th consecutive ejection of a host (a gateway's
// replica, the global load balancer's region) lasts, and how time back in service forgives ejections.
import { backoffDelayMs } from './backoff.js';

export interface EjectionConfig {
  /** Length of a first ejection, ms. */
  readonly baseEjectionMs: number;
  /** Cap on any ejection, ms. */
  readonly maxEjectionMs: number;
}

/** Ejection time of the n-th consecutive ejection (1-based): base × 2^(n-1), capped, ms. */
export function ejectionMs(count: number, cfg: EjectionConfig): number {
  return backoffDelayMs(count, { baseMs: cfg.baseEjectionMs, maxMs: cfg.maxEjectionMs });
}

/**
 * The count of a new ejection, Envoy-style: each `decayMs` spent in service since the last
 * re-admission (`inServiceMs`, undefined for none) takes one off the previous count.
 */
export function nextEjectionCount(previousCount: number, inServiceMs: number | undefined, decayMs: number): number {
  const forgiven = inServiceMs === undefined ? 0 : Math.floor(inServiceMs / decayMs);
  return Math.max(0, previousCount - forgiven) + 1;
}
