// The one source of time. Only this module touches Date.now, performance.now and timers, so the
// same policy code runs in real time in the lab and in virtual time in the simulator.

export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Wall-clock time in epoch milliseconds (what records are stamped with). */
  nowMs(): number;
  /** Monotonic milliseconds, for measuring intervals. */
  monoMs(): number;
  /** Runs fn once after delayMs. */
  setTimer(delayMs: number, fn: () => void): TimerHandle;
  /** Resolves after delayMs, or rejects with the signal's reason when aborted. */
  sleep(delayMs: number, signal?: AbortSignal): Promise<void>;
}

/** Node's timers hold at most 2^31-1 ms (~24.8 days); a longer delay fires after 1 ms instead. */
export const TIMER_MAX_MS = 2 ** 31 - 1;

/** The timer primitives chunkedTimeout arms (the real ones by default; fakes in tests). */
export interface TimerPrimitives {
  set(fn: () => void, delayMs: number): unknown;
  clear(handle: unknown): void;
  monoMs(): number;
}

const nodeTimers: TimerPrimitives = {
  set: (fn, delayMs) => setTimeout(fn, delayMs),
  clear: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
  monoMs: () => performance.now(),
};

/**
 * Runs fn once after delayMs, however long: a delay over maxChunkMs is waited in chunks of at most
 * maxChunkMs, each re-armed for what is left of the deadline, so a 30-day fault lasts 30 days.
 */
export function chunkedTimeout(delayMs: number, fn: () => void, timers: TimerPrimitives = nodeTimers, maxChunkMs = TIMER_MAX_MS): TimerHandle {
  const deadline = timers.monoMs() + Math.max(0, delayMs);
  let handle: unknown;
  let cancelled = false;
  const arm = (): void => {
    const left = deadline - timers.monoMs();
    if (left > maxChunkMs) {
      handle = timers.set(arm, maxChunkMs);
      return;
    }
    handle = timers.set(() => {
      if (!cancelled) fn();
    }, Math.max(0, left));
  };
  arm();
  return {
    cancel: () => {
      cancelled = true;
      timers.clear(handle);
    },
  };
}

class RealClock implements Clock {
  private readonly originMs = Date.now() - performance.now();

  nowMs(): number {
    return this.originMs + performance.now();
  }

  monoMs(): number {
    return performance.now();
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    return chunkedTimeout(delayMs, fn);
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const timer = chunkedTimeout(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      const onAbort = (): void => {
        timer.cancel();
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}

/** The process-wide real clock. */
export const realClock: Clock = new RealClock();

/** A pending virtual timer; it is its own handle (one allocation per timer). */
class VirtualTimer implements TimerHandle {
  cancelled = false;

  constructor(
    readonly atMs: number,
    readonly seq: number,
    readonly fn: () => void,
  ) {}

  cancel(): void {
    this.cancelled = true;
  }
}

/**
 * A virtual clock: time moves only when advanced. Timers fire in (time, sequence) order, so a run
 * is a pure function of its inputs. The queue is a binary heap: O(log n) per timer.
 */
export class VirtualClock implements Clock {
  private current: number;
  private seq = 0;
  private readonly heap: VirtualTimer[] = [];

  constructor(startMs = 0) {
    this.current = startMs;
  }

  nowMs(): number {
    return this.current;
  }

  monoMs(): number {
    return this.current;
  }

  setTimer(delayMs: number, fn: () => void): TimerHandle {
    const timer = new VirtualTimer(this.current + Math.max(0, delayMs), this.seq++, fn);
    this.push(timer);
    return timer;
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      // the listener goes when the timer fires: a long-lived signal must not collect one per sleep
      const onAbort = (): void => {
        handle.cancel();
        reject(signal?.reason);
      };
      const handle = this.setTimer(delayMs, () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      });
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Time of the next pending timer, or undefined when none is pending. */
  nextAtMs(): number | undefined {
    while (this.heap.length > 0 && this.heap[0]!.cancelled) this.pop();
    return this.heap[0]?.atMs;
  }

  /** Fires the next timer (moving time to it); false when none is pending. */
  step(): boolean {
    while (this.heap.length > 0) {
      const timer = this.pop()!;
      if (timer.cancelled) continue;
      this.current = timer.atMs;
      timer.fn();
      return true;
    }
    return false;
  }

  /** Fires every timer due up to untilMs, then sets time to untilMs. */
  advanceTo(untilMs: number): void {
    for (let next = this.nextAtMs(); next !== undefined && next <= untilMs; next = this.nextAtMs()) this.step();
    this.current = Math.max(this.current, untilMs);
  }

  pending(): number {
    return this.heap.filter((t) => !t.cancelled).length;
  }

  private less(a: VirtualTimer, b: VirtualTimer): boolean {
    return a.atMs < b.atMs || (a.atMs === b.atMs && a.seq < b.seq);
  }

  // sift-up and sift-down move the hole, not the element (no swaps, no temporary arrays)
  private push(timer: VirtualTimer): void {
    const h = this.heap;
    let i = h.length;
    h.push(timer);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = h[parent]!;
      if (!this.less(timer, p)) break;
      h[i] = p;
      i = parent;
    }
    h[i] = timer;
  }

  private pop(): VirtualTimer | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    const n = h.length;
    if (n > 0 && last) {
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        if (l >= n) break;
        const r = l + 1;
        const m = r < n && this.less(h[r]!, h[l]!) ? r : l;
        if (!this.less(h[m]!, last)) break;
        h[i] = h[m]!;
        i = m;
      }
      h[i] = last;
    }
    return top;
  }
}

/**
 * Resolves once every promise continuation queued so far has run (the next turn of the event
 * loop): the virtual-time harness calls it after firing timers so that the real code's async
 * steps finish at the virtual instant they belong to.
 */
export function settleMicrotasks(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
