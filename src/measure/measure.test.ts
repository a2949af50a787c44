import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import { evaluateTargets } from './checks.js';
import { measureRun } from './run-metrics.js';

const T0 = 1_000_000;

function rec(i: number, startS: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const startMs = T0 + startS * 1000;
  return { id: `r${i}`, startMs, firstTokenMs: startMs + 20, endMs: startMs + 500, streaming: true, tokens: 10, expectedTokens: 10, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0, tokenGapsMs: [10, 10], ...over };
}

const ev = (atS: number, source: string, type: string, subject: string, data?: Record<string, unknown>): LabEvent => ({ atMs: T0 + atS * 1000, source, type, subject, ...(data ? { data } : {}) });

describe('measureRun', () => {
  const records: RequestRecord[] = [
    rec(0, 0.1),
    rec(1, 0.5),
    rec(2, 1.2),
    rec(3, 2.1, { outcome: 'failed', status: 503, correct: null, firstTokenMs: undefined } as Partial<RequestRecord>),
    rec(4, 2.4, { outcome: 'truncated', correct: null }),
    rec(5, 2.6, { resumes: 1, replicas: ['a/p/1', 'a/p/2'], firstTokenMs: T0 + 2600 + 900 }),
    rec(6, 3.3, { correct: false }),
    rec(7, 4.5, { outcome: 'timeout', correct: null }),
    rec(8, 5.5),
    rec(9, 6.5),
  ];
  const events: LabEvent[] = [
    ev(2.0, 'chaos', 'fault.injected', 'f1', { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'] }),
    ev(2.3, 'gateway/a', 'passive.eject', 'a/p/1', { kind: 'reset' }),
    ev(2.25, 'controlplane', 'replica.disconnected', 'a/p/1'),
    ev(2.5, 'controlplane', 'routing.removed', 'a/p/1'),
    ev(4.0, 'chaos', 'fault.healed', 'f1', { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'] }),
    ev(1.0, 'controlplane', 'health.unhealthy', 'a/p/1'), // before injection: not a detection
  ].sort((a, b) => a.atMs - b.atMs);

  const targets = { availability: 0.9, failedRequests: 0, truncatedRequests: 0, failoverMs: 400, rtoMs: 10_000, ttftP99Ms: 1000 };
  const m = measureRun(records, events, targets);

  it('counts requests by outcome, independently of the order given', () => {
    expect(m.requests).toEqual({ total: 10, ok: 7, failed: 1, truncated: 1, timedOut: 1, wrongAnswers: 1, resumed: 1, available: 6 });
    expect(m.availability).toBe(0.6);
    expect(measureRun([...records].reverse(), events, targets).requests).toEqual(m.requests);
  });

  it('buckets availability per second of start time', () => {
    expect(m.perSecond.map((b) => [b.second, b.total, b.available])).toEqual([
      [0, 2, 2],
      [1, 1, 1],
      [2, 3, 1],
      [3, 1, 0],
      [4, 1, 0],
      [5, 1, 1],
      [6, 1, 1],
    ]);
  });

  it('measures detection, failover, RTO and client impact of a fault', () => {
    const [f] = m.faults;
    expect(f).toMatchObject({ id: 'f1', kind: 'replica.crash', detectionMs: 250, failoverMs: 300, healedAtMs: T0 + 4000 });
    // buckets start at the first request (0.1 s); buckets 2, 3, 4 breach availability 0.9 and the
    // last of them ends at 5.1 s, 3.1 s after the injection at 2 s
    expect(f!.rtoMs).toBe(3100);
    expect(f!.errorSeconds).toBeCloseTo(2 / 3 + 1 + 1, 3);
    // requests overlapping [2 s, 4 s + 2 s tail]: r3..r8 (r2 ended at 1.7 s)
    expect(f).toMatchObject({ requests: 6, failedRequests: 2, truncatedRequests: 1, resumedRequests: 1, wrongAnswers: 1, worstTtftMs: 900 });
  });

  it('charges a bucket that straddles the next injection only with the requests that ended before it', () => {
    // a crash at 1 s that clients never notice, then a corruption at 2.5 s whose wrong answers
    // land in the bucket [2.1 s, 3.1 s) — one of them on a request already running at 2.5 s:
    // the crash's RTO stays 0, the corruption gets the breach
    const rs = [rec(0, 0.1), rec(1, 1.2), rec(2, 2.2, { correct: false }), rec(3, 2.7, { correct: false }), rec(4, 2.9, { correct: false }), rec(5, 3.5)];
    const evs = [
      ev(1.0, 'chaos', 'fault.injected', 'f1', { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'] }),
      ev(2.5, 'chaos', 'fault.injected', 'f2', { kind: 'model.corrupt', target: 'a/p/2', replicas: ['a/p/2'] }),
    ];
    const [crash, corrupt] = measureRun(rs, evs, { availability: 0.99 }).faults;
    expect(crash).toMatchObject({ id: 'f1', rtoMs: 0, errorSeconds: 0 });
    expect(corrupt).toMatchObject({ id: 'f2', rtoMs: 600 });
  });

  it('counts as detection only what happens while the fault lasts (up to heal + 2 s)', () => {
    const rs = [rec(0, 0.1), rec(1, 9.5)];
    const evs = [
      ev(1.0, 'chaos', 'fault.injected', 'f1', { kind: 'upstream.rate-limit', target: 'a/p/1', replicas: ['a/p/1'] }),
      ev(2.0, 'chaos', 'fault.healed', 'f1', { kind: 'upstream.rate-limit', target: 'a/p/1', replicas: ['a/p/1'] }),
      ev(9.0, 'gateway/a', 'passive.eject', 'a/p/1', { kind: 'reset' }), // 7 s after the heal: another cause
    ];
    const [f] = measureRun(rs, evs, {}).faults;
    expect(f).toMatchObject({ detectionMs: null, failoverMs: null });
  });

  it('turns targets into checks and a verdict', () => {
    const v = evaluateTargets(targets, m);
    const byName = Object.fromEntries(v.checks.map((c) => [c.name, c]));
    expect(byName.availability).toMatchObject({ actual: 0.6, pass: false });
    expect(byName.failedRequests).toMatchObject({ actual: 2, pass: false });
    expect(byName.failoverMs).toMatchObject({ actual: 300, pass: true });
    expect(byName.rtoMs).toMatchObject({ actual: 3100, pass: true });
    expect(v.pass).toBe(false);
    expect(evaluateTargets({ failoverMs: 1000 }, measureRun(records, events.filter((e) => e.type !== 'routing.removed' && e.type !== 'passive.eject'), {})).checks[0]).toMatchObject({
      actual: null,
      pass: false,
      detail: 'a faulty replica never left routing',
    });
  });

  it('computes latency percentiles over all and fault-window requests', () => {
    expect(m.latency.ttftMs.max).toBe(900);
    expect(m.latency.interTokenMs).toMatchObject({ count: 20, p50: 10 });
    expect(m.latencyDuringFaults.ttftMs.count).toBeGreaterThan(0);
  });
});
