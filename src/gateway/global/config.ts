// Global load balancer settings with their named defaults. Every bound the GLB keeps is here; the
// topology's `entry:` section (src/config/topology-gateway.ts) overrides any of them.
import type { GlbPolicyConfig } from '../../policy/region-choice.js';
import { checkOrdered, type EntrySection } from '../../config/topology-gateway.js';
import { CLIENT_ID_HEADER } from '../../protocol/openai-http.js';
import { defaultWorkerCount } from '../regional/worker-count.js';
import type { EdgeOverloadConfig } from '../regional/admission-gate.js';

export interface GlbConfig extends GlbPolicyConfig, EdgeOverloadConfig {
  /** Active health check of each regional gateway (GET /health) every this long. */
  readonly checkIntervalMs: number;
  /** A check not answered within this long failed (a silent, partitioned region). */
  readonly checkTimeoutMs: number;
  /**
   * An attempt with no token after this long is abandoned. Above the regional gateway's own
   * retries (1 s first-token timeout per replica), so a gateway that is failing over inside its
   * region is not abandoned too early.
   */
  readonly firstTokenTimeoutMs: number;
  /** A stream with no token for this long is resumed in another region (above the gateway's 1 s stall resume). */
  readonly stallTimeoutMs: number;
  /** After the finish reason, wait this long for `[DONE]` before finishing the answer anyway. */
  readonly doneGraceMs: number;
  /** Bound on asking one region for a stored completion (GET /v1/chat/completions/{id}). */
  readonly storedReadTimeoutMs: number;
  /**
   * Bound on opening a connection to a region. (An abort signal does not cut a TCP connect short
   * in undici 7, so without it a black-holed region would hold a request for undici's 10 s.)
   */
  readonly connectTimeoutMs: number;
  /** Attempts per client request across regions, first try included. */
  readonly maxAttempts: number;
  /** Pause before trying regions again once every region failed this request. */
  readonly retryPauseMs: number;
  readonly inFlightMax: number;
  readonly bodyMaxBytes: number;
  readonly retryAfterS: number;
  /** Client header naming the client's region (geo-routing). */
  readonly regionHeader: string;
  /** Worker processes serving the entry point (src/gateway/regional/workers.ts); 1: no workers, the process serves. */
  readonly workers: number;
}

export const DEFAULT_GLB_CONFIG: GlbConfig = Object.freeze({
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  baseEjectionMs: 1000,
  maxEjectionMs: 30_000,
  checkIntervalMs: 200,
  checkTimeoutMs: 500,
  firstTokenTimeoutMs: 2000,
  stallTimeoutMs: 2000,
  connectTimeoutMs: 1000,
  doneGraceMs: 200,
  storedReadTimeoutMs: 2000,
  maxAttempts: 4,
  retryPauseMs: 250,
  inFlightMax: 4096,
  bodyMaxBytes: 1 << 20,
  retryAfterS: 1,
  regionHeader: 'x-halab-client-region',
  workers: defaultWorkerCount(),
  activeMax: 512,
  queueMax: 1024,
  queueWaitMaxMs: 1000,
  loopDelayShedMs: 200,
  ttftTargetMs: 1000,
  latencyWindowMs: 500,
  limitMin: 8,
  retryBudgetRatio: 0.2,
  retryBudgetMinRetries: 10,
  clientBufferMaxBytes: 256 * 1024,
  clientIdHeader: CLIENT_ID_HEADER,
});

/** The defaults with the topology's `entry:` overrides; bases above their caps name the field. */
export function glbConfigFrom(section: EntrySection | undefined, file = 'topology'): GlbConfig {
  const defined = Object.fromEntries(Object.entries(section ?? {}).filter(([, v]) => v !== undefined));
  const merged: GlbConfig = Object.freeze({ ...DEFAULT_GLB_CONFIG, ...defined });
  checkOrdered('entry', merged as unknown as Record<string, unknown>, [['baseEjectionMs', 'maxEjectionMs'], ['limitMin', 'activeMax']], file);
  return merged;
}
