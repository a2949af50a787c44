import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { VirtualClock } from '../../core/clock.js';
import { runSeed } from './harness.js';
import { INVARIANTS } from './invariants.js';
import { SimEtcd, SimNamespace } from './sim-etcd.js';
import type { HaFault } from './ha-sim.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 50_000, faultsMax: 1, faultMinMs: 2_000, faultMaxMs: 10_000 };
/** The leader is paused (GC, SIGSTOP) past its 2 s lease with a state write due: it resumes and writes. */
const pausePastLease: HaFault[] = [{ kind: 'pause', target: 'leader', atMs: 20_000, forMs: 5000 }];

describe('the simulated etcd', () => {
  it('expires a lease that is not kept alive, deleting its keys, and commits a guarded write only while the guard exists', async () => {
    const clock = new VirtualClock(0);
    const etcd = new SimEtcd(clock);
    const ns = new SimNamespace(etcd, clock, { name: 'a', up: () => true }, 'p/');
    const lease = etcd.grant(2000);
    etcd.put('p/guard', 'a', lease);
    expect(await ns.if('guard', 'Create', '>', 0).then(ns.put('k').value('1')).commit()).toEqual({ succeeded: true });
    clock.advanceTo(1500);
    expect(etcd.keepAlive(lease)).toBe(true);
    clock.advanceTo(3400);
    expect(etcd.get('p/guard')).toBeDefined();
    clock.advanceTo(3600);
    expect(etcd.get('p/guard')).toBeUndefined();
    expect(etcd.keepAlive(lease)).toBe(false);
    expect(await ns.if('guard', 'Create', '>', 0).then(ns.put('k').value('2')).commit()).toEqual({ succeeded: false });
    expect(await ns.get('k').string()).toBe('1');
  });
});

describe('control-plane HA in virtual time (production etcdLeadership, fenceStore and EtcdStateStore)', () => {
  it('a leader paused past its lease is replaced, and its write on resuming is refused by the fence: one writing leader', async () => {
    const r = await runSeed({ topology, seed: 11, history, schedule: [], deploy: null, haFaults: pausePastLease, keepTrace: true });
    expect(r.violations).toEqual([]);
    const lines = r.trace!.filter((l) => l.includes('sim-cp-'));
    expect(lines.some((l) => /^2\d{4} harness sim-cp-\d elected leader/.test(l))).toBe(true);
    expect(lines.some((l) => /stops \(fail-stop\): state write refused: write to etcd refused: this instance no longer holds the leader lease/.test(l))).toBe(true);
    expect(r.ha!.refused).toBeGreaterThanOrEqual(1);
    expect(r.ha!.writes).toBeGreaterThan(50);
  });

  it('trips one-writing-leader, with a replayable seed, when the fence is deliberately broken', async () => {
    const run = () => runSeed({ topology, seed: 11, history, schedule: [], deploy: null, haFaults: pausePastLease, ha: { fencing: false } });
    const r = await run();
    const v = r.violations.filter((x) => x.check === INVARIANTS.twoLeaders);
    expect(v).toHaveLength(1);
    expect(v[0]!.message).toMatch(/sim-cp-\d wrote halab\/routing\/snapshot at revision \d+ while sim-cp-\d held the leader lease/);
    expect(v[0]!.atMs).toBe(25_000);
    // the same seed replays the same run
    expect((await run()).traceHash).toBe(r.traceHash);
  });

  it('a pause shorter than the lease costs nothing: the leader keeps its lease and nothing is refused', async () => {
    const r = await runSeed({ topology, seed: 12, history, schedule: [], deploy: null, haFaults: [{ kind: 'pause', target: 'leader', atMs: 20_000, forMs: 1000 }], keepTrace: true });
    expect(r.violations).toEqual([]);
    expect(r.ha!.refused).toBe(0);
    expect(r.trace!.filter((l) => / elected leader/.test(l))).toHaveLength(1);
  });
});
