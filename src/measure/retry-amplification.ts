// How much the serving path multiplied the load it was given by retrying (a metastable failure's
// amplifier), from the recorded timeline: the client requests the entry point took in (request
// records of every client class, well-behaved or not, less those the entry point itself answered
// 429/4xx or never answered) and the retries the GLB (`glb.request.retried`: another region before
// the first token) and the gateways (`request.retried`: another replica before the first token)
// made. A stream resumed after tokens were sent is not a retry here (it is not budgeted either).
//   GLB amplification      = (requests + GLB retries) ÷ requests        — attempts at the regions
//   gateway amplification  = (region attempts + gateway retries) ÷ region attempts — attempts at replicas
// Retry budgets (src/policy/retry-budget.ts) bound each to about 1 + the budget's ratio.
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import { EV } from '../record/event-types.js';

export interface RetryAmplification {
  /** Client requests the entry point admitted and worked on. */
  readonly requests: number;
  readonly glbRetries: number;
  readonly gatewayRetries: number;
  /** (requests + glbRetries) ÷ requests; 1 when no request was admitted. */
  readonly glb: number;
  /** (requests + glbRetries + gatewayRetries) ÷ (requests + glbRetries); 1 when none. */
  readonly gateway: number;
}

/** Whether the entry point itself turned the request away (its own 429 or a 4xx) or never answered it. */
export function turnedAwayAtEntry(r: RequestRecord): boolean {
  if (r.status === undefined) return true;
  if (r.status === 429) return /global load balancer is (shedding load|at its limit)/.test(r.reason ?? '');
  return r.status >= 400 && r.status < 500;
}

const round = (x: number): number => Math.round(x * 1e4) / 1e4;

export function measureRetryAmplification(records: readonly RequestRecord[], events: readonly LabEvent[]): RetryAmplification {
  const requests = records.filter((r) => !turnedAwayAtEntry(r)).length;
  const glbRetries = events.filter((e) => e.type === EV.glbRequestRetried).length;
  const gatewayRetries = events.filter((e) => e.type === EV.requestRetried).length;
  const regionAttempts = requests + glbRetries;
  return {
    requests,
    glbRetries,
    gatewayRetries,
    glb: requests ? round(regionAttempts / requests) : 1,
    gateway: regionAttempts ? round((regionAttempts + gatewayRetries) / regionAttempts) : 1,
  };
}
