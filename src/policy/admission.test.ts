import { describe, expect, it } from 'vitest';
import { admissionDecision, belowFairShare, shedRetryAfterS } from './admission.js';
import { RetryBudget, retryBudgetAllows } from './retry-budget.js';

const config = { activeMax: 2, queueMax: 1, loopDelayShedMs: 100 };

describe('admission', () => {
  it('admits below the bound, queues while the queue has room, sheds beyond it', () => {
    expect(admissionDecision({ active: 0, queued: 0, loopDelayMs: 5 }, config).kind).toBe('admit');
    expect(admissionDecision({ active: 1, queued: 0, loopDelayMs: 5 }, config).kind).toBe('admit');
    expect(admissionDecision({ active: 2, queued: 0, loopDelayMs: 5 }, config).kind).toBe('queue');
    const shed = admissionDecision({ active: 2, queued: 1, loopDelayMs: 5 }, config);
    expect(shed).toMatchObject({ kind: 'shed' });
    expect(shed.kind === 'shed' && shed.reason).toContain('2 requests running and 1 queued');
  });

  it('never lets a newcomer overtake a queued request', () => {
    expect(admissionDecision({ active: 1, queued: 1, loopDelayMs: 5 }, { ...config, queueMax: 4 }).kind).toBe('queue');
  });

  it('sheds while the event loop lags, however few requests run; 0 turns it off', () => {
    const d = admissionDecision({ active: 0, queued: 0, loopDelayMs: 150 }, config);
    expect(d.kind === 'shed' && d.reason).toBe('event loop delay 150ms is above 100ms');
    expect(admissionDecision({ active: 0, queued: 0, loopDelayMs: 150 }, { ...config, loopDelayShedMs: 0 }).kind).toBe('admit');
  });

  it('while lagging, still admits a client below its fair share of the requests in flight', () => {
    // 40 in flight: the flooding client holds 34, the steady one 6 (fair share 20 each)
    const steady = { active: 40, queued: 0, loopDelayMs: 300, clientInFlight: 6, clients: 2 };
    const flood = { ...steady, clientInFlight: 34 };
    const cfg = { ...config, activeMax: 100, queueMax: 10 };
    expect(belowFairShare(steady)).toBe(true);
    expect(admissionDecision(steady, cfg).kind).toBe('admit');
    expect(admissionDecision(flood, cfg).kind).toBe('shed');
    // a newcomer counts itself among the clients
    expect(belowFairShare({ active: 40, queued: 0, loopDelayMs: 300, clientInFlight: 0, clients: 1 })).toBe(true);
    // one client alone, or clients not told apart: no share to protect
    expect(belowFairShare({ active: 40, queued: 0, loopDelayMs: 300, clientInFlight: 40, clients: 1 })).toBe(false);
    expect(belowFairShare({ active: 40, queued: 0, loopDelayMs: 300 })).toBe(false);
    // activeMax + queueMax running is a hard bound for everyone
    expect(admissionDecision({ ...steady, active: 100, queued: 10 }, cfg).kind).toBe('admit');
    expect(admissionDecision({ ...steady, active: 110, queued: 10 }, cfg).kind).toBe('shed');
  });

  it('asks clients to wait longer when the lag is deep', () => {
    expect(shedRetryAfterS({ active: 2, queued: 1, loopDelayMs: 5 }, config, 1)).toBe(1);
    expect(shedRetryAfterS({ active: 0, queued: 0, loopDelayMs: 250 }, config, 1)).toBe(2);
    expect(shedRetryAfterS({ active: 0, queued: 0, loopDelayMs: 5 }, config, 0.2)).toBe(1);
  });
});

describe('retry budget', () => {
  it('allows retries in flight up to max(minRetries, ratio × requests in flight)', () => {
    const cfg = { ratio: 0.2, minRetries: 3 };
    expect(retryBudgetAllows(2, 0, cfg)).toBe(true);
    expect(retryBudgetAllows(3, 0, cfg)).toBe(false);
    expect(retryBudgetAllows(3, 100, cfg)).toBe(true);
    expect(retryBudgetAllows(19, 100, cfg)).toBe(true);
    expect(retryBudgetAllows(20, 100, cfg)).toBe(false);
  });

  it('counts requests and retries in flight; releases are idempotent', () => {
    const budget = new RetryBudget({ ratio: 0.5, minRetries: 1 });
    const ends = [budget.beginRequest(), budget.beginRequest(), budget.beginRequest(), budget.beginRequest()];
    const r1 = budget.tryRetry();
    const r2 = budget.tryRetry();
    expect(r1 && r2).toBeTruthy();
    expect(budget.tryRetry()).toBeUndefined();
    r1!();
    r1!();
    expect(budget.stats()).toEqual({ requests: 4, retries: 1, refused: 1 });
    for (const end of ends) end();
    expect(budget.stats().requests).toBe(0);
    // one retry always allowed (minRetries), a second not while the first runs
    expect(budget.tryRetry()).toBeUndefined();
    r2!();
    expect(budget.tryRetry()).toBeDefined();
  });

  it('at the static bound, admits a client below its fair share at once (up to activeMax + queueMax running), queues the flood', () => {
    const c = { activeMax: 10, queueMax: 4, loopDelayShedMs: 0 };
    // the flood fills the slots and the queue; the steady client still runs, up to activeMax + queueMax
    const steady = { active: 10, queued: 4, loopDelayMs: 0, clientInFlight: 1, clients: 2 };
    expect(admissionDecision(steady, c).kind).toBe('admit');
    expect(admissionDecision({ ...steady, active: 13 }, c).kind).toBe('admit');
    expect(admissionDecision({ ...steady, queued: 3, clientInFlight: 12 }, c).kind).toBe('queue');
    expect(admissionDecision({ ...steady, clientInFlight: 12 }, c).kind).toBe('shed');
    expect(admissionDecision({ ...steady, active: 14 }, c).kind).toBe('shed');
  });
});
