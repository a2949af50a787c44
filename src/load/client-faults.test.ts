import { describe, expect, it } from 'vitest';
import { validateChatRequest } from '../protocol/chat-request.js';
import { buildScenario } from '../config/scenario.js';
import { measureClientFaults } from '../measure/client-classes.js';
import type { RequestRecord } from '../record/records.js';
import { classRatePerSec, poisonBody } from './client-faults.js';

const fault = (kind: string, params: Record<string, number> = {}) => ({ faultId: 's0', kind, atMs: 0, params });

describe('client-side faults', () => {
  it('adds factor - 1 times the rate for a surge, factor times for the other classes', () => {
    expect(classRatePerSec(fault('load.surge', { factor: 5 }), 20)).toBe(80);
    expect(classRatePerSec(fault('load.poison', { factor: 2 }), 10)).toBe(20);
    expect(classRatePerSec(fault('load.surge', { factor: 1 }), 10)).toBe(0);
  });

  it('poisons with an over-context prompt, an absurd max_tokens and a malformed body, in turn', () => {
    const [a, b, c] = [0, 1, 2].map((n) => validateChatRequest(poisonBody(n, 'm')));
    expect(a?.ok && a.request.messages[0]!.content.split(' ').length).toBeGreaterThan(8192);
    expect(b?.ok && b.request.max_tokens).toBe(32_000);
    expect(c?.ok).toBe(false);
  });

  it('takes target clients only, and the built-in driver only', () => {
    const doc = { name: 'x', duration: '10s', faults: [{ kind: 'load.surge', target: 'clients', at: '1s', for: '2s' }] };
    expect(buildScenario(doc, 'x.yaml').faults).toHaveLength(1);
    expect(() => buildScenario({ ...doc, faults: [{ kind: 'load.surge', target: 'us-east-1', at: '1s' }] }, 'x.yaml')).toThrow(/expected target "clients"/);
    expect(() => buildScenario({ ...doc, load: { driver: 'k6' } }, 'x.yaml')).toThrow(/built-in load driver/);
  });

  it('measures the misbehaving classes apart, and the well-behaved TTFT during their window against steady state', () => {
    const rec = (id: string, startMs: number, ttft: number, extra: Partial<RequestRecord> = {}): RequestRecord => ({
      id, startMs, firstTokenMs: startMs + ttft, endMs: startMs + ttft + 100, streaming: true, tokens: 3, outcome: 'ok', status: 200, correct: true, replicas: [], resumes: 0, ...extra,
    });
    const records = [
      rec('r0', 0, 100),
      rec('r1', 5000, 250),
      rec('c0', 5000, 0, { clientClass: 'load.surge', outcome: 'failed', status: 429, firstTokenMs: undefined } as Partial<RequestRecord>),
      rec('c1', 5100, 300, { clientClass: 'load.surge' }),
    ].map((r) => (r.firstTokenMs === undefined ? (({ firstTokenMs: _f, ...rest }) => rest)(r) : r)) as RequestRecord[];
    const m = measureClientFaults(records, [{ id: 's0', kind: 'load.surge', target: 'clients', replicas: [], injectedAtMs: 4000, healedAtMs: 8000 }], 9000)!;
    expect(m.classes).toHaveLength(1);
    expect(m.classes[0]).toMatchObject({ clientClass: 'load.surge', shed: 1, shedShare: 0.5, statuses: { '200': 1, '429': 1 } });
    expect(m.wellBehavedTtftP99DuringMs).toBe(250);
    expect(m.wellBehavedTtftP99SteadyMs).toBe(100);
    expect(m.ttftRatio).toBe(2.5);
  });

  it("counts a retry-storm client's resends (record ids <fault id>.<n>.<attempt>) as its retries", () => {
    const rec = (id: string, status: number): RequestRecord => ({ id, startMs: 0, endMs: 10, streaming: true, tokens: 0, outcome: status === 200 ? 'ok' : 'failed', status, correct: status === 200, replicas: [], resumes: 0, clientClass: 'load.retry-storm' }) as RequestRecord;
    const records = [rec('s0-load.retry-storm.0', 503), rec('s0-load.retry-storm.0.1', 503), rec('s0-load.retry-storm.0.2', 200), rec('s0-load.retry-storm.1', 200), rec('s0-load.retry-storm.12', 200)];
    const m = measureClientFaults(records, [], 100)!;
    expect(m.classes[0]).toMatchObject({ clientClass: 'load.retry-storm', retries: 2 });
  });
});
