// Topology sections for the serving path's settings: `gateway:` (every regional gateway), `entry:`
// (the global load balancer, the client entry point) and `probes:` (the control plane's probe
// budget for external endpoints). Each field is optional and overrides the named default kept
// beside the process that uses it (src/gateway/regional/config.ts, src/gateway/global/config.ts);
// adding a setting is one line here plus its default there.
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';

const HOUR_MS = 3_600_000;
/** A duration in ms, 0 allowed. */
const ms = (maxMs = HOUR_MS) => z.number().int('expected whole milliseconds').min(0).max(maxMs).optional();
/** A duration in ms that must be positive. */
const msPos = (maxMs = HOUR_MS) => z.number().int('expected whole milliseconds').positive().max(maxMs).optional();
const count = (min: number, max: number) => z.number().int().min(min).max(max).optional();

/** Admission control at an edge (src/policy/admission.ts, admission-latency.ts), in both sections. */
const admissionFields = {
  activeMax: count(1, 1_000_000),
  queueMax: count(0, 1_000_000),
  queueWaitMaxMs: ms(),
  loopDelayShedMs: ms(),
  ttftTargetMs: ms(),
  latencyWindowMs: msPos(),
  limitMin: count(1, 1_000_000),
};

export const RETRY_AFTER_POLICIES = ['honour', 'failover'] as const;
export type RetryAfterPolicy = (typeof RETRY_AFTER_POLICIES)[number];

/** `gateway:` — overrides of GatewayConfig (src/gateway/regional/config.ts). */
export const gatewaySectionSchema = z.strictObject({
  firstTokenTimeoutMs: msPos(),
  stallTimeoutMs: msPos(),
  doneGraceMs: ms(),
  maxAttempts: count(1, 20),
  inFlightMax: count(1, 1_000_000),
  bodyMaxBytes: count(1024, 1 << 30),
  consecutiveFailuresToEject: count(1, 100),
  baseEjectionMs: msPos(),
  maxEjectionMs: msPos(),
  ejectionDecayMs: msPos(),
  readmitProbeIntervalMs: msPos(),
  readmitSuccesses: count(1, 100),
  completionProbeIntervalMs: msPos(),
  retryAfterS: count(0, 3600),
  retryAfterPolicy: z.enum(RETRY_AFTER_POLICIES).optional(),
  retryWaitMaxMs: ms(),
  backoffBaseMs: msPos(),
  backoffMaxMs: msPos(),
  retriesPerWindowMax: count(0, 100_000),
  retryWindowMs: msPos(),
  ...admissionFields,
});

/** `entry:` — overrides of GlbConfig (src/gateway/global/config.ts). */
export const entrySectionSchema = z.strictObject({
  firstTokenTimeoutMs: msPos(),
  stallTimeoutMs: msPos(),
  doneGraceMs: ms(),
  connectTimeoutMs: msPos(),
  storedReadTimeoutMs: msPos(),
  maxAttempts: count(1, 20),
  retryPauseMs: ms(),
  inFlightMax: count(1, 1_000_000),
  bodyMaxBytes: count(1024, 1 << 30),
  retryAfterS: count(0, 3600),
  checkIntervalMs: msPos(),
  checkTimeoutMs: msPos(),
  unhealthyThreshold: count(1, 100),
  healthyThreshold: count(1, 100),
  baseEjectionMs: msPos(),
  maxEjectionMs: msPos(),
  ...admissionFields,
  /** Worker processes of the global load balancer (default: one per four cores, 1 on 2 cores). */
  workers: count(1, 64),
});

/** `probes:` — the control plane's probes of external endpoints. */
export const probesSectionSchema = z.strictObject({
  /** At most one completion probe per endpoint × model this often (cheap checks run every probe). */
  completionIntervalMs: msPos(),
  /** Active probes per second of the whole stand-in fleet: past it probe intervals stretch (controlplane/health/probe-budget.ts). */
  budgetPerSec: z.number().positive().max(10_000).optional(),
});

export type GatewaySection = z.infer<typeof gatewaySectionSchema>;
export type EntrySection = z.infer<typeof entrySectionSchema>;
export type ProbesSection = z.infer<typeof probesSectionSchema>;

/** Bounds that pair up (a base not above its cap), checked with the merged defaults. */
export function checkOrdered(section: string, merged: Readonly<Record<string, unknown>>, pairs: readonly (readonly [string, string])[], file: string): void {
  for (const [low, high] of pairs) {
    const a = merged[low];
    const b = merged[high];
    if (typeof a === 'number' && typeof b === 'number' && a > b) {
      throw new ConfigError(file, `${section}.${low}`, `is ${a} but ${section}.${high} is ${b}; ${low} must not exceed ${high}`);
    }
  }
}
