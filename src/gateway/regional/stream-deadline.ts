// One stream's inactivity deadline with one timer, refreshed lazily: progress (a token) only
// stamps the time; when the timer fires it checks how long the stream has really been quiet and,
// if the limit has not passed, sleeps for the rest. A timer is re-armed per token only when the
// new deadline falls before the armed one (a shorter limit after the first token, the done grace),
// so a 32-token answer arms one to three timers instead of 33.
import type { Clock, TimerHandle } from '../../core/clock.js';

export class StreamDeadline<K extends string> {
  private timer: TimerHandle | undefined;
  /** When the armed timer fires (monotonic ms). */
  private armedAtMs = Infinity;
  private lastMs: number;
  private limitMs: number;
  private kindNow: K;
  private stopped = false;

  constructor(
    private readonly clock: Clock,
    limitMs: number,
    kind: K,
    private readonly onExpire: (kind: K) => void,
  ) {
    this.lastMs = clock.monoMs();
    this.limitMs = limitMs;
    this.kindNow = kind;
    this.arm(limitMs);
  }

  /** Progress: the stream must next make progress within `limitMs` (else it expires as `kind`). */
  touch(limitMs: number, kind: K): void {
    if (this.stopped) return;
    this.lastMs = this.clock.monoMs();
    this.limitMs = limitMs;
    this.kindNow = kind;
    if (this.lastMs + limitMs < this.armedAtMs) this.arm(limitMs);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
  }

  private arm(delayMs: number): void {
    this.timer?.cancel();
    this.armedAtMs = this.clock.monoMs() + delayMs;
    this.timer = this.clock.setTimer(delayMs, () => this.fire());
  }

  private fire(): void {
    if (this.stopped) return;
    const left = this.lastMs + this.limitMs - this.clock.monoMs();
    if (left > 0) return this.arm(left);
    this.stopped = true;
    this.onExpire(this.kindNow);
  }
}
