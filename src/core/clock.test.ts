import { describe, expect, it } from 'vitest';
import { TIMER_MAX_MS, VirtualClock, chunkedTimeout, realClock, type TimerPrimitives } from './clock.js';

/** Timer primitives on a VirtualClock, recording every delay armed. */
function fakeTimers(vc: VirtualClock): TimerPrimitives & { readonly armed: number[] } {
  const armed: number[] = [];
  return {
    armed,
    set: (fn, delayMs) => {
      armed.push(delayMs);
      // what Node does with a delay over 2^31-1 ms: fires after 1 ms
      return vc.setTimer(delayMs > TIMER_MAX_MS ? 1 : delayMs, fn);
    },
    clear: (h) => (h as { cancel(): void }).cancel(),
    monoMs: () => vc.monoMs(),
  };
}

describe('chunkedTimeout', () => {
  it('fires a 30-day timer after 30 days, never arming more than Node allows', () => {
    const vc = new VirtualClock();
    const timers = fakeTimers(vc);
    const thirtyDaysMs = 30 * 86_400_000;
    let firedAt: number | undefined;
    chunkedTimeout(thirtyDaysMs, () => (firedAt = vc.monoMs()), timers);
    vc.advanceTo(thirtyDaysMs - 1);
    expect(firedAt).toBeUndefined();
    vc.advanceTo(thirtyDaysMs);
    expect(firedAt).toBe(thirtyDaysMs);
    expect(timers.armed.length).toBe(2);
    expect(Math.max(...timers.armed)).toBeLessThanOrEqual(TIMER_MAX_MS);
  });

  it('a 30-day timer without chunking would fire at once (the bug this guards)', () => {
    const vc = new VirtualClock();
    const timers = fakeTimers(vc);
    let fired = false;
    chunkedTimeout(30 * 86_400_000, () => (fired = true), timers, Number.MAX_SAFE_INTEGER);
    vc.advanceTo(10);
    expect(fired).toBe(true);
  });

  it('cancels between chunks', () => {
    const vc = new VirtualClock();
    let fired = false;
    const handle = chunkedTimeout(3 * TIMER_MAX_MS, () => (fired = true), fakeTimers(vc));
    vc.advanceTo(TIMER_MAX_MS + 5);
    handle.cancel();
    vc.advanceTo(4 * TIMER_MAX_MS);
    expect(fired).toBe(false);
    expect(vc.pending()).toBe(0);
  });

  it('the real clock still fires short timers and sleeps', async () => {
    const started = realClock.monoMs();
    await new Promise<void>((done) => realClock.setTimer(20, done));
    await realClock.sleep(10);
    expect(realClock.monoMs() - started).toBeGreaterThanOrEqual(25);
  });

  it('a long real sleep is aborted by its signal', async () => {
    const ac = new AbortController();
    const sleeping = realClock.sleep(40 * 86_400_000, ac.signal);
    ac.abort(new Error('stop'));
    await expect(sleeping).rejects.toThrow('stop');
  });
});

describe('VirtualClock.sleep', () => {
  it('drops its abort listener when it fires, so a long-lived signal does not collect one per sleep', async () => {
    const clock = new VirtualClock(0);
    const controller = new AbortController();
    let listeners = 0;
    const add = controller.signal.addEventListener.bind(controller.signal);
    const remove = controller.signal.removeEventListener.bind(controller.signal);
    controller.signal.addEventListener = ((...a: Parameters<typeof add>) => (listeners++, add(...a))) as typeof add;
    controller.signal.removeEventListener = ((...a: Parameters<typeof remove>) => (listeners--, remove(...a))) as typeof remove;
    for (let i = 0; i < 20; i++) {
      const p = clock.sleep(10, controller.signal);
      clock.advanceTo(clock.nowMs() + 10);
      await p;
    }
    expect(listeners).toBe(0);
    const aborted = clock.sleep(10, controller.signal);
    controller.abort(new Error('stop'));
    await expect(aborted).rejects.toThrow('stop');
  });
});
