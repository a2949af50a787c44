import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import { measureRun } from '../measure/run-metrics.js';
import { delayFailover, failOneRequest, scaleTtft, stretchDeploys } from './record-transforms.js';

const t0 = 1_700_000_000_000;
const records: RequestRecord[] = Array.from({ length: 100 }, (_, i) => ({ id: `r${i}`, startMs: t0 + i * 200, firstTokenMs: t0 + i * 200 + 30, endMs: t0 + i * 200 + 300, streaming: true, tokens: 8, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0 }));
const ev = (at: number, source: string, type: string, subject: string, data?: Record<string, unknown>): LabEvent => ({ atMs: t0 + at, source, type, subject, ...(data ? { data } : {}) }) as LabEvent;
// the injector started 50 ms before its event was written; removal came between the two
const fault = { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'], params: {}, startedAtMs: t0 + 4950 };
const events: LabEvent[] = [
  ev(5000, 'chaos', 'fault.injected', 'f1', fault),
  ev(5010, 'controlplane', 'replica.disconnected', 'a/p/1'),
  ev(4970, 'controlplane', 'routing.removed', 'a/p/1'),
  ev(9000, 'chaos', 'fault.healed', 'f1', fault),
  ev(10_000, 'controlplane', 'deploy.started', 'd1', { deployId: 'd1', strategy: 'rolling', version: 'v2', fromVersion: 'v1' }),
  ev(12_000, 'controlplane', 'deploy.replica-updated', 'a/p/0', { deployId: 'd1' }),
  ev(20_000, 'controlplane', 'deploy.succeeded', 'd1', { deployId: 'd1' }),
];
const measure = (r: { records: readonly RequestRecord[]; events: readonly LabEvent[] }) => measureRun(r.records, r.events, {});

describe('record transforms: each moves exactly its figure', () => {
  const before = measure({ records, events });
  it('the untouched run', () => {
    expect(before.latency.ttftMs.p50).toBe(30);
    expect(before.faults[0]).toMatchObject({ detectionMs: 60, failoverMs: 20 });
    expect(before.deploys[0]!.durationMs).toBe(10_000);
    expect(before.requests.failed).toBe(0);
  });
  it('TTFT × 1.5', () => {
    const m = measure(scaleTtft({ records, events }, 1.5));
    expect(m.latency.ttftMs.p50).toBe(45);
    expect(m.faults[0]!.failoverMs).toBe(20);
  });
  it('failover + 500 ms, detection unchanged', () => {
    expect(measure(delayFailover({ records, events }, 500)).faults[0]).toMatchObject({ detectionMs: 60, failoverMs: 520 });
  });
  it('one failed request', () => {
    const m = measure(failOneRequest({ records, events }));
    expect(m.requests).toMatchObject({ failed: 1, ok: 99 });
  });
  it('deploy duration + 30 %', () => {
    const m = measure(stretchDeploys({ records, events }, 1.3));
    expect(m.deploys[0]!.durationMs).toBe(13_000);
    expect(m.faults[0]!.failoverMs).toBe(20);
  });
});
