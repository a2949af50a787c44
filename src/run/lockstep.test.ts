import { describe, expect, it } from 'vitest';
import { LockstepGroup, lockstepRelease, stdinLockstep } from './lockstep.js';

/** Lets every settled promise's callbacks run. */
const settle = (): Promise<void> => new Promise((r) => setImmediate(r));

/** Tracks when a promise settles. */
function watch(p: Promise<void>): { done: boolean } {
  const w = { done: false };
  void p.then(() => (w.done = true));
  return w;
}

describe('lock-step of parallel labs', () => {
  it('releases starts only while no lab is under load, and loads only once every lab waits to load', () => {
    expect(lockstepRelease(['wantStart', 'wantStart'])).toBe('start');
    expect(lockstepRelease(['wantStart', 'loading'])).toBeUndefined();
    expect(lockstepRelease(['wantStart', 'starting'])).toBe('start');
    expect(lockstepRelease(['wantLoad', 'starting'])).toBeUndefined();
    expect(lockstepRelease(['wantLoad', 'joined'])).toBeUndefined();
    expect(lockstepRelease(['wantLoad', 'wantLoad'])).toBe('load');
    expect(lockstepRelease(['wantLoad', 'wantStart'])).toBe('start');
    expect(lockstepRelease([])).toBeUndefined();
  });

  it('starts labs one at a time, then lets them load together', async () => {
    const group = new LockstepGroup();
    const a = group.join();
    const b = group.join();
    const aStart = watch(a.wantStart());
    const bStart = watch(b.wantStart());
    await settle();
    expect([aStart.done, bStart.done]).toEqual([true, false]); // b waits for a's start-up
    const aLoad = watch(a.wantLoad());
    a.started();
    await settle();
    expect(bStart.done).toBe(true);
    expect(aLoad.done).toBe(false); // a is up, b still starting: a waits
    const bLoad = watch(b.wantLoad());
    b.started();
    await settle();
    expect([aLoad.done, bLoad.done]).toEqual([true, true]);
  });

  it('keeps a joining lab from starting while another is under load, and from loading before it is up', async () => {
    const group = new LockstepGroup();
    const a = group.join();
    await a.wantStart();
    a.started();
    await a.wantLoad(); // alone: a loads at once
    const c = group.join();
    const cStart = watch(c.wantStart());
    await settle();
    expect(cStart.done).toBe(false); // a is measuring
    a.leave(); // a's run ended
    await settle();
    expect(cStart.done).toBe(true);
    // a lab that joined but has not asked yet holds the others' load back
    const d = group.join();
    const cLoad = watch(c.wantLoad());
    c.started();
    await settle();
    expect(cLoad.done).toBe(false);
    d.leave(); // d ended without starting (bad input, say)
    await settle();
    expect(cLoad.done).toBe(true);
  });

  it('gives the start turn on when a lab dies while starting', async () => {
    const group = new LockstepGroup();
    const a = group.join();
    const b = group.join();
    const aStart = a.wantStart();
    const bStart = watch(b.wantStart());
    await aStart;
    a.leave(); // died during its start-up: no "lab up" line ever comes
    await settle();
    expect(bStart.done).toBe(true);
  });

  it('is off unless the parent asked for it, and an aborted run never waits for a go', async () => {
    expect(stdinLockstep(new AbortController().signal, {})).toBeUndefined();
    const stop = new AbortController();
    stop.abort();
    const lockstep = stdinLockstep(stop.signal, { HALAB_LOCKSTEP: '1' })!;
    await expect(lockstep.beforeStart()).resolves.toBeUndefined();
  });
});
