// Probe timers batched by instant. The replicas of a fleet that registered together are probed on
// the same interval, so their probes come due at the same instant: those share one Clock timer and
// run in the order they were scheduled. Each replica keeps its own cadence — a probe runs exactly
// when a timer of its own would have fired — and rescheduling or cancelling one replica's probe
// leaves the others alone. Instants are keyed by the clock's monotonic time: on the real clock
// (fractional milliseconds) two probes rarely share a key, and each then has its own timer as
// before; on the virtual clock a fleet's probes share one.
import type { Clock, TimerHandle } from '../../core/clock.js';

interface Slot<T> {
  readonly id: string;
  readonly item: T;
  readonly batch: Batch<T>;
  cancelled: boolean;
}

interface Batch<T> {
  readonly atMs: number;
  readonly slots: Slot<T>[];
  /** Slots not cancelled yet. */
  live: number;
  fired: boolean;
  timer: TimerHandle | undefined;
}

export class ProbeBatches<T> {
  private readonly byAt = new Map<number, Batch<T>>();
  private readonly pending = new Map<string, Slot<T>>();

  constructor(
    private readonly clock: Clock,
    private readonly run: (item: T) => void,
  ) {}

  /** Runs `item` in `delayMs` (replacing `id`'s pending run, if any). */
  schedule(id: string, item: T, delayMs: number): void {
    this.cancel(id);
    const d = Math.max(0, delayMs);
    const atMs = this.clock.monoMs() + d;
    let batch = this.byAt.get(atMs);
    if (!batch) {
      const b: Batch<T> = { atMs, slots: [], live: 0, fired: false, timer: undefined };
      b.timer = this.clock.setTimer(d, () => this.fire(b));
      this.byAt.set(atMs, b);
      batch = b;
    }
    const slot: Slot<T> = { id, item, batch, cancelled: false };
    batch.slots.push(slot);
    batch.live += 1;
    this.pending.set(id, slot);
  }

  /** Cancels `id`'s pending run (none: nothing happens). */
  cancel(id: string): void {
    const slot = this.pending.get(id);
    if (!slot) return;
    this.pending.delete(id);
    slot.cancelled = true;
    const b = slot.batch;
    b.live -= 1;
    if (b.live === 0 && !b.fired) {
      b.timer?.cancel();
      this.byAt.delete(b.atMs);
    }
  }

  /** Cancels every pending run. */
  clear(): void {
    for (const b of this.byAt.values()) b.timer?.cancel();
    this.byAt.clear();
    this.pending.clear();
  }

  /** Runs pending (scheduled, not cancelled). */
  size(): number {
    return this.pending.size;
  }

  private fire(b: Batch<T>): void {
    b.fired = true;
    // a run scheduled for this same instant from here on gets a batch (and timer) of its own
    if (this.byAt.get(b.atMs) === b) this.byAt.delete(b.atMs);
    for (const slot of b.slots) {
      if (slot.cancelled) continue;
      this.pending.delete(slot.id);
      slot.cancelled = true;
      this.run(slot.item);
    }
  }
}
