import { describe, expect, it } from 'vitest';
import { VirtualClock } from './clock.js';

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
