// The latency half of admission control, pure: an in-flight limit that follows the time to first
// byte (accept → first token sent) of the requests admitted, in the manner of CoDel (judge a
// window, not one request) and Netflix's gradient concurrency limits (scale the limit by
// target ÷ measured). Each window whose median time to first byte is above the target lowers the
// limit to the requests in flight × max(0.5, target ÷ median) — the concurrency this process
// actually sustained at that latency — and each good window in which the limit was nearly reached
// raises it by a tenth (at least 1), up to the static `activeMax`. The edge sheds (429) what the
// limit does not admit, before the queue behind it makes every client's first token late.

export interface LatencyLimitConfig {
  /** Median time to first byte above which a window lowers the limit; 0: off (the limit stays `activeMax`). */
  readonly ttftTargetMs: number;
  /** Length of one judged window. */
  readonly latencyWindowMs: number;
  /** The least limit, however slow the windows. */
  readonly limitMin: number;
  /** The static bound the limit never exceeds. */
  readonly activeMax: number;
}

export interface LatencyLimitState {
  readonly limit: number;
  readonly windowStartMs: number;
  /** Time-to-first-byte samples of the current window, ms. */
  readonly samples: readonly number[];
  /** The most requests in flight seen during the window. */
  readonly peakInFlight: number;
  /** The last judged window's median, ms (0 before one). */
  readonly lastMedianMs: number;
}

/** Samples below this count do not judge a window (the limit stays). */
export const LATENCY_WINDOW_MIN_SAMPLES = 5;

export function initialLatencyLimit(config: LatencyLimitConfig, nowMs: number): LatencyLimitState {
  return { limit: config.activeMax, windowStartMs: nowMs, samples: [], peakInFlight: 0, lastMedianMs: 0 };
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)]!;
}

/** Judges the window when it is over; returns the state for the next one. */
export function rollLatencyWindow(state: LatencyLimitState, config: LatencyLimitConfig, nowMs: number, inFlight: number): LatencyLimitState {
  if (config.ttftTargetMs <= 0 || nowMs - state.windowStartMs < config.latencyWindowMs) return state;
  const fresh = { windowStartMs: nowMs, samples: [] as number[], peakInFlight: inFlight };
  if (state.samples.length < LATENCY_WINDOW_MIN_SAMPLES) return { ...state, ...fresh };
  const m = median(state.samples);
  let limit = state.limit;
  if (m > config.ttftTargetMs) {
    const gradient = Math.max(0.5, config.ttftTargetMs / m);
    limit = Math.min(limit, Math.floor(Math.max(state.peakInFlight, 1) * gradient));
  } else if (state.peakInFlight >= 0.8 * state.limit) {
    limit = state.limit + Math.max(1, Math.floor(state.limit / 10));
  }
  return { ...fresh, limit: Math.max(config.limitMin, Math.min(config.activeMax, limit)), lastMedianMs: m };
}

/** Records one admitted request's time to first byte. */
export function addLatencySample(state: LatencyLimitState, ms: number): LatencyLimitState {
  return { ...state, samples: [...state.samples, ms] };
}

/** Records the requests in flight now (for the window's peak). */
export function noteInFlight(state: LatencyLimitState, inFlight: number): LatencyLimitState {
  return inFlight > state.peakInFlight ? { ...state, peakInFlight: inFlight } : state;
}
