import { describe, expect, it } from 'vitest';
import type { LabEvent } from '../record/events.js';
import type { ReadbackRecord } from '../record/records.js';
import { measureState } from './state-figures.js';

const ev = (atMs: number, type: string, subject: string, data?: Record<string, unknown>): LabEvent => ({ atMs, source: 'x', type, subject, ...(data ? { data } : {}) });
const rb = (i: number, ackedAtMs: number, found: boolean): ReadbackRecord => ({ requestId: `r${i}`, storedId: `c${i}`, writtenIn: 'us-east-1', ackedAtMs, readFrom: 'us-west-2', found, status: found ? 200 : 404, atMs: 99_999 });

describe('state figures', () => {
  it('RPO is the failure minus the first lost acknowledged write, every lost write listed', () => {
    const events = [ev(10_000, 'fault.injected', 'f1', { kind: 'region.outage' }), ev(10_001, 'fault.injected', 'f2', { kind: 'region.state-loss' })];
    const readback = [rb(1, 9_000, true), rb(2, 9_700, false), rb(3, 9_950, false), rb(4, 9_800, true)];
    const m = measureState(events, readback);
    expect(m.rpoMs).toBe(300);
    expect(m.lostWrites).toBe(2);
    expect(m.storedWrites?.lost.map((l) => [l.storedId, l.beforeFailureMs])).toEqual([['c2', 300], ['c3', 50]]);
    expect(m.storedWrites).toMatchObject({ acknowledged: 4, readBack: 2, readFrom: 'us-west-2', failureAtMs: 10_000 });
  });

  it('RPO is 0 when nothing acknowledged was lost; no read-back, no RPO', () => {
    const events = [ev(10_000, 'fault.injected', 'f1', { kind: 'region.outage' })];
    expect(measureState(events, [rb(1, 9_000, true)])).toMatchObject({ rpoMs: 0, lostWrites: 0 });
    expect(measureState(events, undefined).rpoMs).toBeUndefined();
  });

  it('leader change: kill → next leader elected; restore: disaster → restored', () => {
    const events = [
      ev(1_000, 'controlplane.leader-elected', 'controlplane/0'),
      ev(5_000, 'fault.injected', 'k1', { kind: 'controlplane.kill-leader' }),
      ev(7_100, 'controlplane.leader-elected', 'controlplane/2'),
      ev(20_000, 'fault.injected', 'd1', { kind: 'controlplane.disaster' }),
      ev(24_500, 'controlplane.restored', 'cp-1.backup'),
    ];
    const m = measureState(events, undefined);
    expect(m.leaderChangeMs).toBe(2_100);
    expect(m.leaderChanges).toEqual([{ faultId: 'k1', newLeader: 'controlplane/2', ms: 2_100 }]);
    expect(m.restoreMs).toBe(4_500);
    expect(measureState([ev(5_000, 'fault.injected', 'k1', { kind: 'controlplane.kill-leader' })], undefined).leaderChangeMs).toBeNull();
  });
});
