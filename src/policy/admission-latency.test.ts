import { describe, expect, it } from 'vitest';
import { addLatencySample, initialLatencyLimit, LATENCY_SLOW_WINDOWS, noteInFlight, rollLatencyWindow, slowWhenLight, type LatencyLimitState } from './admission-latency.js';
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

  describe('a machine-wide slowdown is not self-caused overload (corrupt-model at load ~15 lost 37 requests to 429s)', () => {
    /** A window of `light` samples admitted under 3 in flight and `heavy` under 8, all `ms` late. */
    function mixedWindow(state: LatencyLimitState, light: number, heavy: number, ms: number): LatencyLimitState {
      let s = noteInFlight(state, 8);
      for (let i = 0; i < light; i++) s = addLatencySample(s, ms, 3);
      for (let i = 0; i < heavy; i++) s = addLatencySample(s, ms, 8);
      return s;
    }
    const good = (): LatencyLimitState => rollLatencyWindow(windowOf({ ...initialLatencyLimit(config, 0), limit: 20 }, [50, 50, 50, 50, 50], 4), config, 500, 4);

    it('holds when the requests admitted under a light load were as late as the rest', () => {
      let s = good();
      expect(s.goodInFlight).toBe(4);
      // the window's median load (8) is above the good one (4), but its light samples were slow too
      for (let i = 0; i < LATENCY_SLOW_WINDOWS + 2; i++) s = rollLatencyWindow(mixedWindow(s, 3, 5, 900), config, s.windowStartMs + 500, 8);
      expect(s.limit).toBe(20);
      expect(s.slowWindows).toBe(0);
      expect(slowWhenLight([{ ms: 900, inFlight: 3 }, { ms: 900, inFlight: 3 }, { ms: 900, inFlight: 3 }, { ms: 900, inFlight: 8 }], 4, 200)).toBe(true);
    });

    it('still lowers when only the heavy requests were late (its own load), or no request met a light load', () => {
      let s = good();
      const lateWhenHeavy = (st: LatencyLimitState): LatencyLimitState => {
        let w = noteInFlight(st, 8);
        for (let i = 0; i < 3; i++) w = addLatencySample(w, 60, 3);
        for (let i = 0; i < 5; i++) w = addLatencySample(w, 900, 8);
        return w;
      };
      for (let i = 0; i < LATENCY_SLOW_WINDOWS; i++) s = rollLatencyWindow(lateWhenHeavy(s), config, s.windowStartMs + 500, 8);
      expect(s.limit).toBeLessThan(20);
      let t = good();
      for (let i = 0; i < LATENCY_SLOW_WINDOWS; i++) t = rollLatencyWindow(mixedWindow(t, 0, 8, 900), config, t.windowStartMs + 500, 8);
      expect(t.limit).toBeLessThan(20);
      // too few light samples to blame the machine
      expect(slowWhenLight([{ ms: 900, inFlight: 3 }, { ms: 900, inFlight: 3 }, { ms: 900, inFlight: 8 }], 4, 200)).toBe(false);
    });

    it('never lowers the limit below the peak in flight of the last good window', () => {
      // a good window admitted its requests under 4 in flight but peaked at 10, all on target
      let s = rollLatencyWindow(noteInFlight(windowOf({ ...initialLatencyLimit(config, 0), limit: 40 }, [50, 50, 50, 50, 50], 4), 10), config, 500, 4);
      expect(s.goodPeakInFlight).toBe(10);
      for (let i = 0; i < LATENCY_SLOW_WINDOWS; i++) s = rollLatencyWindow(windowOf(s, [2000, 2000, 2000, 2000, 2000], 12), config, s.windowStartMs + 500, 12);
      expect(s.limit).toBe(10); // 12 × 0.5 = 6, floored at the good peak of 10 (the old floor was the good load, 4 → 6)
    });
  });
});
