import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import { finalVersions, measureDeploys } from './deploys.js';

const T0 = 2_000_000;
const ev = (atS: number, type: string, subject: string, data: Record<string, unknown> = {}, source = 'controlplane', reason?: string): LabEvent => ({
  atMs: T0 + atS * 1000,
  source,
  type,
  subject,
  ...(reason ? { reason } : {}),
  data,
});
function rec(i: number, startS: number, over: Partial<RequestRecord> = {}): RequestRecord {
  const startMs = T0 + startS * 1000;
  return { id: `r${i}`, startMs, firstTokenMs: startMs + 20, endMs: startMs + 400, streaming: true, tokens: 10, expectedTokens: 10, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0, modelVersion: 'v1', ...over };
}

const id = 'deploy-1-v2';
const events: LabEvent[] = [
  ev(0, 'model.loaded', 'a/p/0', { version: 'v1' }, 'replica/a/p/0'),
  ev(0, 'model.loaded', 'a/p/1', { version: 'v1' }, 'replica/a/p/1'),
  ev(2, 'deploy.requested', 'deploy[0]', {}, 'chaos'),
  ev(2, 'deploy.started', id, { deployId: id, strategy: 'canary', version: 'v2', fromVersion: 'v1', behaviour: 'slow', config: { canaryShare: 0.1 } }),
  ev(3, 'model.loaded', 'a/p/0', { version: 'v2' }, 'replica/a/p/0'),
  ev(3.5, 'deploy.canary-live', id, { deployId: id }),
  ev(5, 'deploy.rollback-decided', id, { deployId: id }, 'controlplane', 'canary worse'),
  ev(6, 'model.loaded', 'a/p/0', { version: 'v1' }, 'replica/a/p/0'),
  ev(6.2, 'deploy.rolled-back', id, { deployId: id }, 'controlplane', 'canary worse'),
];
const records = [
  rec(0, 0.1),
  rec(1, 0.6, { firstTokenMs: T0 + 600 + 40 }),
  rec(2, 2.5, { firstTokenMs: T0 + 2500 + 300 }),
  rec(3, 4, { modelVersion: 'v2', firstTokenMs: T0 + 4000 + 90 }),
  rec(4, 4.5, { outcome: 'failed', correct: null }),
  rec(5, 5.5, { outcome: 'truncated', correct: null }),
  rec(6, 8),
  rec(7, 9),
];

describe('measureDeploys', () => {
  const [d] = measureDeploys(events, records, { ttftP99Ms: 200 }, T0 + 10_000);
  it('finds the deployment, its outcome and its detection time (canary live to rollback decision)', () => {
    expect(d).toMatchObject({ deployId: id, strategy: 'canary', version: 'v2', fromVersion: 'v1', behaviour: 'slow', outcome: 'rolled-back', reason: 'canary worse', durationMs: 4200, detectionMs: 1500, canaryShare: 0.1 });
  });
  it('counts the client impact of requests overlapping it', () => {
    // r1 ended at 1.0 s, before the start at 2 s; r2..r5 overlap; r6, r7 are after the end
    expect(d).toMatchObject({ requests: 4, failedRequests: 1, truncatedRequests: 1, wrongAnswers: 0, newVersionShare: 0.25 });
    // not ok (2) plus r2's TTFT of 300 ms above the 200 ms target
    expect(d!.sloBreachingRequests).toBe(3);
    // p99 over [20, 20, 90, 300] against steady state [20, 20, 20, 40] (quantiles interpolate)
    expect(d!.ttftP99Ms).toBeGreaterThan(280);
    expect(d!.steadyTtftP99Ms).toBeGreaterThan(35);
    expect(d!.steadyTtftP99Ms).toBeLessThanOrEqual(40);
    expect(d!.ttftRatio).toBeCloseTo(d!.ttftP99Ms! / d!.steadyTtftP99Ms!, 1);
  });
  it('keeps the timeline relative to the start, and the final version of every replica', () => {
    expect(d!.timeline.map((s) => [s.atMs, s.type])).toEqual([
      [0, 'deploy.started'],
      [1500, 'deploy.canary-live'],
      [3000, 'deploy.rollback-decided'],
      [4200, 'deploy.rolled-back'],
    ]);
    expect(d!.finalVersions).toEqual({ 'a/p/0': 'v1', 'a/p/1': 'v1' });
    expect(finalVersions([...events, ev(7, 'deploy.replica-retired', 'a/p/1', { deployId: id })])).toEqual({ 'a/p/0': 'v1' });
  });
  it('marks a deployment without an end as unfinished', () => {
    const [u] = measureDeploys(events.slice(0, 6), records, {}, T0 + 10_000);
    expect(u).toMatchObject({ outcome: 'unfinished', endedAtMs: null, durationMs: null, detectionMs: null });
  });
});
