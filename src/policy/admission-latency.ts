// The latency half of admission control, pure: an in-flight limit that follows the time to first
// byte (accept → first token sent) of the requests admitted, in the manner of CoDel (judge a
// window, not one request) and Netflix's gradient concurrency limits (scale the limit by
// target ÷ measured). Each sample carries the requests in flight when it was admitted (the load it
// was measured under; a window's load is their median). A window whose median time to first byte
// is above the target, under more load than the last window that met it — the third such window in
// a row, so a failover's transient (a crashed replica's requests late for one or two windows) is
// not taken for overload — lowers the limit to
// its load (or in-flight peak) × max(0.5, target ÷ median), but not below that good window's load
// (nor its peak in flight); a window that met the
// target and nearly reached the limit raises it by a quarter (at least 1), up to `activeMax`. A slow
// window under no more load than a good one (or before any good one) is a slowdown this
// process's load did not cause — other work on the machine, a slower upstream at the same load —
// and shedding would not cure it: the limit holds. So does a slow window whose *light* samples (those
// admitted under no more load than the good window's) were slow too (their median over the target,
// at least LATENCY_LIGHT_SAMPLES of them): when a request admitted into a light load is as late as
// the rest, the cause is not this edge's load but the machine or the upstream, whatever a few
// heavier samples do to the window's median load. The limit is never lowered below the peak in
// flight of the last good window either: that many requests were served on target recently. The
// edge sheds (429) what the limit does not admit, before the queue behind it makes every client's
// first token late.

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

export interface LatencySample {
  readonly ms: number;
  /** Requests in flight (itself included) when the request was admitted: the load it was measured under. */
  readonly inFlight: number;
}

export interface LatencyLimitState {
  readonly limit: number;
  readonly windowStartMs: number;
  /** Time-to-first-byte samples of the current window, ms, each with the requests in flight when it was admitted. */
  readonly samples: readonly LatencySample[];
  /** The most requests in flight seen during the window. */
  readonly peakInFlight: number;
  /** The last judged window's median, ms (0 before one). */
  readonly lastMedianMs: number;
  /** The load (median in flight at admission) of the last window that met the target (undefined before one). */
  readonly goodInFlight?: number;
  /** Slow windows in a row that ran under more load than the last good one (0 after any other). */
  readonly slowWindows?: number;
  /** The most requests in flight during the last window that met the target (undefined before one): the limit's floor. */
  readonly goodPeakInFlight?: number;
}

/** A window is judged once it is over and holds this many samples (until then it goes on). */
export const LATENCY_WINDOW_MIN_SAMPLES = 5;

/** Slow windows under more load in a row before the limit is lowered: sustained slowness, not a transient. */
export const LATENCY_SLOW_WINDOWS = 3;

/** Light samples (admitted under no more load than the last good window) a slow window needs to blame the machine, not its load. */
export const LATENCY_LIGHT_SAMPLES = 3;

/**
 * Whether a slow window's slowness is not of this edge's making although its median load is above
 * the good one: its requests admitted under no more than the good load were late too.
 */
export function slowWhenLight(samples: readonly LatencySample[], goodInFlight: number, targetMs: number): boolean {
  const light = samples.filter((x) => x.inFlight <= goodInFlight).map((x) => x.ms);
  return light.length >= LATENCY_LIGHT_SAMPLES && median(light) > targetMs;
}

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
  const fresh = { windowStartMs: nowMs, samples: [] as LatencySample[], peakInFlight: inFlight };
  // too few first bytes to judge (little traffic, or first tokens so late they have not come): the
  // window goes on until there are enough
  if (state.samples.length < LATENCY_WINDOW_MIN_SAMPLES) return state;
  const m = median(state.samples.map((x) => x.ms));
  const load = median(state.samples.map((x) => x.inFlight));
  let limit = state.limit;
  let goodInFlight = state.goodInFlight;
  let goodPeakInFlight = state.goodPeakInFlight;
  let slowWindows = 0;
  if (m > config.ttftTargetMs) {
    // slower under no more load than a good window had, or slow for the requests that met a light
    // load too: not of this process's making; hold
    if (goodInFlight !== undefined && load > goodInFlight && !slowWhenLight(state.samples, goodInFlight, config.ttftTargetMs)) slowWindows = (state.slowWindows ?? 0) + 1;
    if (goodInFlight !== undefined && slowWindows >= LATENCY_SLOW_WINDOWS) {
      const gradient = Math.max(0.5, config.ttftTargetMs / m);
      limit = Math.min(limit, Math.max(goodInFlight, goodPeakInFlight ?? 0, Math.floor(Math.max(load, state.peakInFlight) * gradient)));
    }
  } else {
    goodInFlight = load;
    goodPeakInFlight = Math.max(load, state.peakInFlight);
    if (state.peakInFlight >= 0.8 * state.limit) limit = Math.max(state.limit + 1, Math.ceil(state.limit * 1.25));
  }
  return {
    ...fresh,
    limit: Math.max(config.limitMin, Math.min(config.activeMax, limit)),
    lastMedianMs: m,
    slowWindows,
    ...(goodInFlight !== undefined ? { goodInFlight } : {}),
    ...(goodPeakInFlight !== undefined ? { goodPeakInFlight } : {}),
  };
}

/** Records one admitted request's time to first byte, with the requests in flight when it was admitted. */
export function addLatencySample(state: LatencyLimitState, ms: number, inFlight: number): LatencyLimitState {
  return { ...state, samples: [...state.samples, { ms, inFlight }] };
}

/** Records the requests in flight now (for the window's peak). */
export function noteInFlight(state: LatencyLimitState, inFlight: number): LatencyLimitState {
  return inFlight > state.peakInFlight ? { ...state, peakInFlight: inFlight } : state;
}
