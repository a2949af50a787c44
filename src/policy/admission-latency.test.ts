import { describe, expect, it } from 'vitest';
import { addLatencySample, initialLatencyLimit, LATENCY_SLOW_WINDOWS, noteInFlight, rollLatencyWindow, type LatencyLimitState } from './admission-latency.js';
import { admissionDecision } from './admission.js';

const config = { ttftTargetMs: 200, latencyWindowMs: 500, limitMin: 4, activeMax: 100 };

/** A window whose samples were all admitted with `inFlight` requests in flight (its peak too). */
function windowOf(state: LatencyLimitState, samplesMs: number[], inFlight: number): LatencyLimitState {
  let s = noteInFlight(state, inFlight);
  for (const ms of samplesMs) s = addLatencySample(s, ms, inFlight);
  return s;
}

describe('latency limit', () => {
  it('stays at activeMax while the median time to first byte is on target', () => {
    const s = rollLatencyWindow(windowOf(initialLatencyLimit(config, 0), [50, 60, 70, 80, 90, 900], 40), config, 500, 40);
    expect(s.limit).toBe(100);
    expect(s.lastMedianMs).toBe(70);
  });

  it('a transient is not overload: the first slow windows under more load hold the limit, the third in a row lowers it, a good one resets the count', () => {
    let s: LatencyLimitState = { ...initialLatencyLimit(config, 0), goodInFlight: 10 };
    for (let i = 1; i < LATENCY_SLOW_WINDOWS; i++) {
      s = rollLatencyWindow(windowOf(s, [2000, 2000, 2000, 2000, 2000], 60), config, s.windowStartMs + 500, 60);
      expect(s.limit).toBe(100);
      expect(s.slowWindows).toBe(i);
    }
    const good = rollLatencyWindow(windowOf(s, [50, 50, 50, 50, 50], 60), config, s.windowStartMs + 500, 60);
    expect(good.slowWindows).toBe(0);
    const third = rollLatencyWindow(windowOf(s, [2000, 2000, 2000, 2000, 2000], 60), config, s.windowStartMs + 500, 60);
    expect(third.limit).toBe(30);
  });

  it('a slow window with more in flight than the last good one (the third in a row) lowers the limit: in flight × target ÷ median (at most halving), not below the good concurrency', () => {
    const good = { ...initialLatencyLimit(config, 0), goodInFlight: 10, slowWindows: LATENCY_SLOW_WINDOWS - 1 };
    const slow = rollLatencyWindow(windowOf(good, [250, 250, 250, 250, 250], 60), config, 500, 60);
    expect(slow.limit).toBe(48); // 60 × 200/250
    const verySlow = rollLatencyWindow(windowOf(good, [2000, 2000, 2000, 2000, 2000], 60), config, 500, 60);
    expect(verySlow.limit).toBe(30); // the gradient is held at 0.5
    const floor = rollLatencyWindow(windowOf({ ...good, goodInFlight: 2 }, [2000, 2000, 2000, 2000, 2000], 3), config, 500, 3);
    expect(floor.limit).toBe(4); // limitMin
    const backToGood = rollLatencyWindow(windowOf({ ...good, goodInFlight: 40 }, [2000, 2000, 2000, 2000, 2000], 60), config, 500, 60);
    expect(backToGood.limit).toBe(40);
  });

  it('holds the limit when a slow window had no more in flight than a good one, or before any good one (a slowdown it did not cause)', () => {
    expect(rollLatencyWindow(windowOf(initialLatencyLimit(config, 0), [900, 900, 900, 900, 900], 60), config, 500, 60).limit).toBe(100);
    const held = rollLatencyWindow(windowOf({ ...initialLatencyLimit(config, 0), goodInFlight: 60, limit: 70 }, [900, 900, 900, 900, 900], 55), config, 500, 55);
    expect(held.limit).toBe(70);
    // a good window records its load: the requests in flight its samples were admitted under, not a later peak
    let mixed = noteInFlight(initialLatencyLimit(config, 0), 40);
    for (const ms of [50, 50, 50, 50, 50]) mixed = addLatencySample(mixed, ms, 3);
    expect(rollLatencyWindow(mixed, config, 500, 40).goodInFlight).toBe(3);
  });

  it('a good window that nearly reached the limit raises it by a quarter, up to activeMax', () => {
    const low = { ...initialLatencyLimit(config, 0), limit: 40 };
    expect(rollLatencyWindow(windowOf(low, [50, 50, 50, 50, 50], 35), config, 500, 35).limit).toBe(50);
    expect(rollLatencyWindow(windowOf(low, [50, 50, 50, 50, 50], 10), config, 500, 10).limit).toBe(40);
    const near = { ...initialLatencyLimit(config, 0), limit: 98 };
    expect(rollLatencyWindow(windowOf(near, [50, 50, 50, 50, 50], 98), config, 500, 98).limit).toBe(100);
  });

  it('judges nothing before the window ends, nor a window of too few samples, nor when off', () => {
    const s = windowOf({ ...initialLatencyLimit(config, 0), goodInFlight: 5 }, [5000, 5000, 5000, 5000, 5000], 60);
    expect(rollLatencyWindow(s, config, 499, 60)).toBe(s);
    // too few samples: the window goes on, and is judged once enough came
    const few = windowOf({ ...initialLatencyLimit(config, 0), goodInFlight: 5, slowWindows: LATENCY_SLOW_WINDOWS - 1 }, [5000, 5000], 60);
    expect(rollLatencyWindow(few, config, 500, 60)).toBe(few);
    expect(rollLatencyWindow(windowOf(few, [5000, 5000, 5000], 60), config, 900, 60).limit).toBe(30);
    expect(rollLatencyWindow(s, { ...config, ttftTargetMs: 0 }, 900, 60)).toBe(s);
  });

  it('at the latency limit admission sheds at once (no queue) except a client below its fair share', () => {
    const admission = { activeMax: 100, queueMax: 50, loopDelayShedMs: 0 };
    const at = { active: 30, queued: 0, loopDelayMs: 0, latencyLimit: 30, latencyMedianMs: 400 };
    const shed = admissionDecision(at, admission);
    expect(shed.kind === 'shed' && shed.reason).toContain('at the latency limit of 30 (median time to first byte 400ms');
    expect(admissionDecision({ ...at, active: 29 }, admission).kind).toBe('admit');
    expect(admissionDecision({ ...at, clientInFlight: 3, clients: 2 }, admission).kind).toBe('admit');
    expect(admissionDecision({ ...at, clientInFlight: 27, clients: 2 }, admission).kind).toBe('shed');
  });
});
