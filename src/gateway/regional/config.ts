// Gateway settings with their named defaults. Every bound the gateway keeps is here; the topology's
// `gateway:` section (src/config/topology-gateway.ts) overrides any of them.
import type { GatewaySection, RetryAfterPolicy } from '../../config/topology-gateway.js';
import { checkOrdered } from '../../config/topology-gateway.js';
import { CLIENT_ID_HEADER } from '../../protocol/openai-http.js';
import type { EdgeOverloadConfig } from './admission-gate.js';

/** Every bound the gateway keeps; admission, retry-budget and client-buffer bounds are the edge's (EdgeOverloadConfig). */
export interface GatewayConfig extends EdgeOverloadConfig {
  /** An attempt that has produced no token after this long is abandoned (hung upstream). */
  readonly firstTokenTimeoutMs: number;
  /** A stream with no token for this long is stalled and resumed elsewhere. */
  readonly stallTimeoutMs: number;
  /** Upstream attempts per client request, first try included. */
  readonly maxAttempts: number;
  /** Client requests in flight before the gateway answers 429. */
  readonly inFlightMax: number;
  /** Largest request body accepted. */
  readonly bodyMaxBytes: number;
  /** First ejection lasts this long; each further ejection of the same replica doubles it. */
  readonly baseEjectionMs: number;
  readonly maxEjectionMs: number;
  /** Each period this long a re-admitted replica stays in service takes one off its ejection count. */
  readonly ejectionDecayMs: number;
  /** How often an open circuit's cheap check (/health, else /v1/models) runs. */
  readonly readmitProbeIntervalMs: number;
  /** Consecutive good cheap checks before an open circuit may spend a completion probe. */
  readonly readmitSuccesses: number;
  /**
   * At most one completion probe per upstream × model this often; a real attempt on it counts as
   * one. Only a completion (probe or real request) of that model closes a circuit.
   */
  readonly completionProbeIntervalMs: number;
  /** 429 with Retry-After: `honour` waits up to retryWaitMaxMs for the same upstream when nothing else can serve; `failover` never waits. */
  readonly retryAfterPolicy: RetryAfterPolicy;
  /** Retry-After (seconds) sent with 429/503. */
  readonly retryAfterS: number;
  /** 5xx or resets in a row that eject a replica (other failure kinds eject at once). */
  readonly consecutiveFailuresToEject: number;
  /** Jittered exponential backoff (429 without Retry-After, retrying the same upstream): base and cap. */
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  /** At most this many retry attempts go to one upstream per window, whatever the load. */
  readonly retriesPerWindowMax: number;
  readonly retryWindowMs: number;
  /** Longest a request waits for a rate-limited upstream when nothing else can serve it. */
  readonly retryWaitMaxMs: number;
  /** After the finish reason, how long to wait for usage and [DONE] before ending the answer. */
  readonly doneGraceMs: number;
}

export const DEFAULT_GATEWAY_CONFIG: GatewayConfig = Object.freeze({
  firstTokenTimeoutMs: 1000,
  stallTimeoutMs: 1000,
  maxAttempts: 5,
  inFlightMax: 2048,
  bodyMaxBytes: 1 << 20,
  baseEjectionMs: 1000,
  maxEjectionMs: 30_000,
  ejectionDecayMs: 5000,
  readmitProbeIntervalMs: 250,
  readmitSuccesses: 2,
  completionProbeIntervalMs: 5000,
  retryAfterPolicy: 'honour',
  retryAfterS: 1,
  consecutiveFailuresToEject: 2,
  backoffBaseMs: 100,
  backoffMaxMs: 2000,
  retriesPerWindowMax: 10,
  retryWindowMs: 1000,
  retryWaitMaxMs: 2000,
  doneGraceMs: 200,
  activeMax: 256,
  queueMax: 512,
  queueWaitMaxMs: 1000,
  loopDelayShedMs: 200,
  ttftTargetMs: 500,
  latencyWindowMs: 500,
  limitMin: 8,
  retryBudgetRatio: 0.2,
  retryBudgetMinRetries: 10,
  clientBufferMaxBytes: 256 * 1024,
  clientIdHeader: CLIENT_ID_HEADER,
});

/** The defaults with the topology's `gateway:` overrides; bases above their caps name the field. */
export function gatewayConfigFrom(section: GatewaySection | undefined, file = 'topology'): GatewayConfig {
  const defined = Object.fromEntries(Object.entries(section ?? {}).filter(([, v]) => v !== undefined));
  const merged: GatewayConfig = Object.freeze({ ...DEFAULT_GATEWAY_CONFIG, ...defined });
  checkOrdered('gateway', merged as unknown as Record<string, unknown>, [['baseEjectionMs', 'maxEjectionMs'], ['backoffBaseMs', 'backoffMaxMs'], ['limitMin', 'activeMax']], file);
  return merged;
}
