// Abort conditions of a game day, pure: availability over a sliding window, and error-budget burn
// (failed requests so far against the budget the SLO allows for the whole run).
import type { RequestRecord } from '../record/records.js';

export interface AbortPolicy {
  /** Abort when availability over the last windowMs falls below this. */
  readonly minWindowAvailability: number;
  readonly windowMs: number;
  /** SLO, e.g. 0.999: the error budget is (1 - slo) × the requests the run is expected to send. */
  readonly slo: number;
  readonly expectedRequests: number;
  /** Abort when this share of the error budget is spent (1 = all of it). */
  readonly maxBudgetBurn: number;
}

export interface AbortView {
  readonly windowAvailability: number | null;
  readonly windowTtftP99Ms: number | null;
  /** Share of the error budget spent so far, 0..∞. */
  readonly budgetBurn: number;
  readonly abortReason?: string;
}

const bad = (r: RequestRecord): boolean => !(r.outcome === 'ok' && r.correct !== false);

/** Evaluates the policy over the records completed so far at nowMs. */
export function evaluateAbort(policy: AbortPolicy, records: readonly RequestRecord[], nowMs: number): AbortView {
  const recent = records.filter((r) => r.endMs >= nowMs - policy.windowMs);
  const windowAvailability = recent.length ? recent.filter((r) => !bad(r)).length / recent.length : null;
  const ttfts = recent.filter((r) => r.firstTokenMs !== undefined).map((r) => r.firstTokenMs! - r.startMs).sort((a, b) => a - b);
  const windowTtftP99Ms = ttfts.length ? Math.round(ttfts[Math.min(ttfts.length - 1, Math.floor(0.99 * ttfts.length))]!) : null;
  const budget = Math.max(1, (1 - policy.slo) * policy.expectedRequests);
  const budgetBurn = records.filter(bad).length / budget;
  let abortReason: string | undefined;
  if (windowAvailability !== null && recent.length >= 10 && windowAvailability < policy.minWindowAvailability) {
    abortReason = `availability over the last ${policy.windowMs / 1000}s fell to ${(windowAvailability * 100).toFixed(2)}% (bound ${(policy.minWindowAvailability * 100).toFixed(2)}%)`;
  } else if (budgetBurn >= policy.maxBudgetBurn) {
    abortReason = `error budget ${(budgetBurn * 100).toFixed(0)}% spent (bound ${(policy.maxBudgetBurn * 100).toFixed(0)}%)`;
  }
  return { windowAvailability, windowTtftP99Ms, budgetBurn, ...(abortReason ? { abortReason } : {}) };
}
