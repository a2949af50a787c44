import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import { evaluateTargets } from './checks.js';
import { measureRetryAmplification, turnedAwayAtEntry } from './retry-amplification.js';
import { measureRun } from './run-metrics.js';

const T0 = 1_000_000;
const rec = (i: number, over: Partial<RequestRecord> = {}): RequestRecord => ({ id: `r${i}`, startMs: T0 + i * 100, firstTokenMs: T0 + i * 100 + 20, endMs: T0 + i * 100 + 200, streaming: true, tokens: 4, expectedTokens: 4, outcome: 'ok', status: 200, correct: true, replicas: ['a/p/0'], resumes: 0, ...over });
const ev = (i: number, type: string, source: string): LabEvent => ({ atMs: T0 + i * 100 + 50, source, type, subject: `r${i}` });
const shedAtEntry = { outcome: 'failed', status: 429, correct: null, reason: 'status 429: {"error":{"message":"global load balancer is shedding load: 8 requests running and 24 queued"}}' } as const;

describe('measureRetryAmplification', () => {
  it('counts the requests the entry point worked on, not those it shed or refused', () => {
    expect(turnedAwayAtEntry(rec(0, shedAtEntry))).toBe(true);
    expect(turnedAwayAtEntry(rec(0, { outcome: 'failed', status: 400, correct: null }))).toBe(true);
    expect(turnedAwayAtEntry(rec(0, { outcome: 'failed', correct: null, status: undefined }))).toBe(true);
    // a 429 a region answered after the GLB tried it was worked on
    expect(turnedAwayAtEntry(rec(0, { outcome: 'failed', status: 429, correct: null, reason: 'status 429: no region could serve the request: gateway full' }))).toBe(false);
    expect(turnedAwayAtEntry(rec(0, { outcome: 'failed', status: 503, correct: null }))).toBe(false);
    expect(turnedAwayAtEntry(rec(0))).toBe(false);
  });

  it('divides the attempts at each layer by the requests that reached it', () => {
    const records = [...Array.from({ length: 10 }, (_, i) => rec(i)), ...Array.from({ length: 30 }, (_, i) => rec(10 + i, { ...shedAtEntry, clientClass: 'load.retry-storm' }))];
    const events = [ev(1, 'request.retried', 'gateway/a'), ev(2, 'request.retried', 'gateway/a'), ev(3, 'request.retried', 'gateway/b'), ev(4, 'glb.request.retried', 'glb'), ev(5, 'passive.eject', 'gateway/a')];
    const a = measureRetryAmplification(records, events);
    expect(a).toEqual({ requests: 10, glbRetries: 1, gatewayRetries: 3, glb: 1.1, gateway: 1.2727 });
  });

  it('is a target: max(GLB, gateways) within the bound', () => {
    const records = [rec(0), rec(1), rec(2, { clientClass: 'load.retry-storm' }), rec(3)];
    const events: LabEvent[] = [
      { atMs: T0, source: 'chaos', type: 'fault.injected', subject: 'f1', data: { kind: 'load.retry-storm', target: 'clients', replicas: [] } },
      ev(1, 'request.retried', 'gateway/a'),
      { atMs: T0 + 5000, source: 'chaos', type: 'fault.healed', subject: 'f1', data: { kind: 'load.retry-storm', target: 'clients', replicas: [] } },
    ];
    const m = measureRun(records, events, { retryAmplification: 1.2 });
    expect(m.clientFaults?.retryAmplification?.gateway).toBe(1.25);
    const check = evaluateTargets({ retryAmplification: 1.2 }, m).checks.find((c) => c.name === 'retryAmplification')!;
    expect(check.pass).toBe(false);
    expect(check.actual).toBe(1.25);
    expect(evaluateTargets({ retryAmplification: 1.3 }, m).checks.find((c) => c.name === 'retryAmplification')!.pass).toBe(true);
  });
});
