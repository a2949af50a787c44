import { describe, expect, it } from 'vitest';
import { ejectRegion, firstChoice, initialRegionState, steadyCheck, observeCheck, preferredTargets, regionAvailable, routeOrder, type RegionState } from './region-choice.js';

const cfg = { unhealthyThreshold: 2, healthyThreshold: 2, baseEjectionMs: 1000, maxEjectionMs: 8000 };
const healthy = (region: string): RegionState => ({ ...initialRegionState(region), health: 'healthy' });

describe('observeCheck', () => {
  it('decides an unknown region on the first check, then needs consecutive results', () => {
    const first = observeCheck(initialRegionState('a'), true, cfg);
    expect(first.transition).toEqual({ from: 'unknown', to: 'healthy' });
    const f1 = observeCheck(first.state, false, cfg);
    expect(f1.transition).toBeUndefined();
    const f2 = observeCheck(f1.state, false, cfg);
    expect(f2.transition).toEqual({ from: 'healthy', to: 'unhealthy' });
    const ok1 = observeCheck(f2.state, true, cfg);
    expect(ok1.state.health).toBe('unhealthy');
    expect(observeCheck(ok1.state, true, cfg).transition).toEqual({ from: 'unhealthy', to: 'healthy' });
  });

  it('a definite failure (connection refused) skips the threshold; a good check in between resets the count', () => {
    expect(observeCheck(healthy('a'), false, cfg, true).state.health).toBe('unhealthy');
    const f1 = observeCheck(healthy('a'), false, cfg).state;
    const ok = observeCheck(f1, true, cfg).state;
    expect(observeCheck(ok, false, cfg).state.health).toBe('healthy');
  });
});

describe('ejection and route order', () => {
  it('doubles ejection times up to the cap', () => {
    const e = ejectRegion(healthy('a'), 100, cfg);
    expect(regionAvailable(e, 1099)).toBe(false);
    expect(regionAvailable(e, 1100)).toBe(true);
    expect(ejectRegion(e, 1100, cfg).ejectedUntilMs).toBe(3100);
    // no new ejection while ejected, nor while the checks hold the region out
    expect(ejectRegion(e, 500, cfg)).toBe(e);
    const down = { ...healthy('a'), health: 'unhealthy' as const };
    expect(ejectRegion(down, 500, cfg)).toBe(down);
  });

  it('sends clients home, fails over when home is out, and fails back when it is healthy again', () => {
    const states = [healthy('east'), healthy('west')];
    expect(routeOrder(states, 'west', new Set(), 0)).toEqual(['west', 'east']);
    const ejected = [ejectRegion(states[0]!, 0, cfg), states[1]!];
    expect(routeOrder(ejected, 'east', new Set(), 10)).toEqual(['west', 'east']);
    expect(preferredTargets(ejected, 10).get('east')).toBe('west');
    expect(preferredTargets(ejected, 1000).get('east')).toBe('east');
    const down = [{ ...states[0]!, health: 'unhealthy' as const }, states[1]!];
    expect(routeOrder(down, 'east', new Set(['west']), 0)).toEqual(['east']);
    expect(preferredTargets([{ ...states[0]!, health: 'unhealthy' as const }, { ...states[1]!, health: 'unhealthy' as const }], 0).get('east')).toBeUndefined();
  });

  it('tries unknown regions before known-bad ones as a last resort', () => {
    const states = [{ ...healthy('a'), health: 'unhealthy' as const }, initialRegionState('b'), healthy('c')];
    expect(routeOrder(states, 'a', new Set(), 0)).toEqual(['c', 'b', 'a']);
  });

  it('with nothing available, prefers a passively ejected region the checks still pass over one they fail', () => {
    const states = [{ ...healthy('a'), health: 'unhealthy' as const }, ejectRegion(healthy('b'), 0, cfg)];
    expect(routeOrder(states, 'a', new Set(), 10)).toEqual(['b', 'a']);
  });

  it('firstChoice is the first region of routeOrder over every mix of health, ejection and exclusion', () => {
    const healths = ['unknown', 'healthy', 'unhealthy'] as const;
    const regions = ['a', 'b', 'c'];
    let cases = 0;
    for (let code = 0; code < 3 ** 3 * 3 ** 3 * 2 ** 3; code++) {
      let x = code;
      const states = regions.map((region) => {
        const health = healths[x % 3]!;
        x = Math.floor(x / 3);
        const ejectedUntilMs = [0, 50, 200][x % 3]!;
        x = Math.floor(x / 3);
        return { ...initialRegionState(region), health, ejectedUntilMs };
      });
      const exclude = new Set(regions.filter((_, i) => (x >> i) & 1));
      for (const home of regions) {
        expect(firstChoice(states, home, exclude, 100)).toBe(routeOrder(states, home, exclude, 100)[0]);
        cases += 1;
      }
    }
    expect(cases).toBe(3 * 27 * 27 * 8);
  });

  it('a passing check leaves a steady healthy region as it is; anything else still counts', () => {
    const steady: RegionState = { ...healthy('a'), successes: cfg.healthyThreshold };
    expect(steadyCheck(steady, true, cfg)).toBe(true);
    expect(observeCheck(steady, true, cfg).state).toBe(steady);
    expect(steadyCheck(steady, false, cfg)).toBe(false);
    expect(steadyCheck({ ...steady, ejectedUntilMs: 5 }, true, cfg)).toBe(false);
    expect(steadyCheck({ ...steady, failures: 1, successes: 0 }, true, cfg)).toBe(false);
    expect(steadyCheck({ ...steady, health: 'unhealthy' }, true, cfg)).toBe(false);
    const once = observeCheck(steady, false, cfg);
    expect(once.state.health).toBe('healthy');
    expect(observeCheck(once.state, false, cfg).transition).toEqual({ from: 'healthy', to: 'unhealthy' });
  });
});
