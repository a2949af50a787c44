import { describe, expect, it } from 'vitest';
import type { Clock, TimerHandle } from '../../core/clock.js';
import { StreamDeadline } from './stream-deadline.js';

/** A clock whose time moves only when told; counts the timers armed. */
function manualClock(): Clock & { advance(ms: number): void; armed: number } {
  let now = 0;
  let timers: { at: number; fn: () => void; live: boolean }[] = [];
  const clock = {
    armed: 0,
    nowMs: () => now,
    monoMs: () => now,
    setTimer(delayMs: number, fn: () => void): TimerHandle {
      clock.armed += 1;
      const t = { at: now + delayMs, fn, live: true };
      timers.push(t);
      return { cancel: () => void (t.live = false) };
    },
    sleep: () => Promise.resolve(),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = timers.filter((t) => t.live && t.at <= end).sort((a, b) => a.at - b.at)[0];
        if (!next) break;
        now = next.at;
        next.live = false;
        next.fn();
      }
      timers = timers.filter((t) => t.live);
      now = end;
    },
  };
  return clock;
}

describe('StreamDeadline', () => {
  it('expires as the first-token timeout when nothing comes', () => {
    const clock = manualClock();
    const expired: string[] = [];
    new StreamDeadline(clock, 1000, 'timeout', (k) => expired.push(k));
    clock.advance(999);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual(['timeout']);
  });

  it('does not re-arm a timer per token, and still catches a stall on time', () => {
    const clock = manualClock();
    const expired: { kind: string; at: number }[] = [];
    const d = new StreamDeadline<string>(clock, 1000, 'timeout', (kind) => expired.push({ kind, at: clock.monoMs() }));
    for (let i = 0; i < 40; i++) {
      clock.advance(20);
      d.touch(1000, 'stall');
    }
    expect(clock.armed).toBeLessThanOrEqual(2);
    clock.advance(999);
    expect(expired).toEqual([]);
    clock.advance(1);
    expect(expired).toEqual([{ kind: 'stall', at: 1800 }]);
  });

  it('re-arms when a shorter limit brings the deadline forward (the done grace)', () => {
    const clock = manualClock();
    const expired: { kind: string; at: number }[] = [];
    const d = new StreamDeadline<string>(clock, 1000, 'timeout', (kind) => expired.push({ kind, at: clock.monoMs() }));
    clock.advance(10);
    d.touch(200, 'grace');
    clock.advance(200);
    expect(expired).toEqual([{ kind: 'grace', at: 210 }]);
  });

  it('never fires once stopped', () => {
    const clock = manualClock();
    const expired: string[] = [];
    const d = new StreamDeadline(clock, 100, 'timeout', (k) => expired.push(k));
    d.stop();
    d.touch(10, 'timeout');
    clock.advance(1000);
    expect(expired).toEqual([]);
  });
});
