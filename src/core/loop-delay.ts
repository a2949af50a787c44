// This process's event-loop delay (perf_hooks' monitorEventLoopDelay), sampled on the Clock: the
// p99 over each window, the overload signal admission control sheds on.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { Clock, TimerHandle } from './clock.js';

export interface LoopDelayMonitor {
  /** p99 event-loop delay over the last complete window, ms (0 before the first one). */
  p99Ms(): number;
  /** The lower of the last two windows' p99: a lag that lasts, not one pause. */
  sustainedMs(): number;
  stop(): void;
}

/** Starts sampling: every `windowMs` (default 500) the histogram's p99 is kept and it restarts. */
export function startLoopDelayMonitor(clock: Clock, windowMs = 500, resolutionMs = 10): LoopDelayMonitor {
  const histogram = monitorEventLoopDelay({ resolution: resolutionMs });
  histogram.enable();
  let latestMs = 0;
  let previousMs = 0;
  let timer: TimerHandle | undefined;
  let stopped = false;
  const sample = (): void => {
    if (stopped) return;
    // the histogram counts the sampling timer's own lateness past its resolution
    previousMs = latestMs;
    latestMs = histogram.count > 0 ? Math.max(0, histogram.percentile(99) / 1e6 - resolutionMs) : 0;
    histogram.reset();
    timer = clock.setTimer(windowMs, sample);
  };
  timer = clock.setTimer(windowMs, sample);
  return {
    p99Ms: () => latestMs,
    sustainedMs: () => Math.min(previousMs, latestMs),
    stop() {
      stopped = true;
      timer?.cancel();
      histogram.disable();
    },
  };
}
