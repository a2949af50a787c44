import { describe, expect, it } from 'vitest';
import { realClock, VirtualClock } from '../../core/clock.js';
import { memoryEventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import { freePort } from '../../core/free-port.js';
import type { ClusterHealth } from '../../policy/failover.js';
import { ClusterFailover, agentDrainer, type Drainer } from './cluster-failover.js';

const c = (id: string, role: 'primary' | 'backup', healthy: number, total: number): ClusterHealth => ({ id, region: 'r', role, healthy, total, minHealthyFraction: 0.5 });
const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('cluster failover edge', () => {
  it('reports a Drain or Undrain call to a dead agent as failed, never as drained', async () => {
    const address = `127.0.0.1:${await freePort()}`;
    const targets = [{ id: 'r/p/0', agentAddress: address, connected: true }, { id: 'r/p/1', agentAddress: address, connected: false }];
    const result = await agentDrainer(realClock).drain(targets, 200);
    expect(result.inFlight).toBe(0);
    expect(result.failed.map((f) => f.replica)).toEqual(['r/p/0']);
    expect(result.failed[0]!.reason).toMatch(/drain at 127\.0\.0\.1:\d+ failed/);
    expect((await agentDrainer(realClock).undrain(targets)).map((f) => f.replica)).toEqual(['r/p/0']);
  });

  it('records failed drains and undrains as events', async () => {
    const clock = new VirtualClock(0);
    const events = memoryEventSink('controlplane', clock);
    const failed = [{ replica: 'r/p/0', reason: 'agent unreachable' }];
    const drainer: Drainer = { drain: async () => ({ inFlight: 0, waitedMs: 10, failed }), undrain: async () => failed };
    const fo = new ClusterFailover([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)], { drainTimeoutMs: 5000, failbackAfterMs: null }, clock, events, drainer, () => [], () => undefined);
    fo.step([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)]);
    fo.step([c('r/p', 'primary', 0, 4), c('r/b', 'backup', 2, 2)]);
    await settle();
    const drained = events.events.find((e) => e.type === EV.clusterDrained);
    expect(events.events.find((e) => e.type === EV.clusterDrainFailed)?.reason).toBe('r/p/0: agent unreachable');
    expect(drained?.data).toMatchObject({ drained: false, failed: ['r/p/0'] });
    fo.step([c('r/p', 'primary', 4, 4), c('r/b', 'backup', 2, 2)]);
    await settle();
    expect(events.events.find((e) => e.type === EV.clusterUndrainFailed)).toMatchObject({ subject: 'r/p', reason: 'r/p/0: agent unreachable' });
    fo.stop();
  });
});
