// The global load balancer's routing policy, pure: per-region health from active checks
// (Envoy-style consecutive thresholds), passive ejection with doubling ejection times, and the
// order in which a client's request tries regions — its home region first while that one is
// available, then the others (failover), and home again once it is healthy (failback).
import { ejectionMs, type EjectionConfig } from './ejection.js';

export type RegionHealthState = 'unknown' | 'healthy' | 'unhealthy';

export interface RegionState {
  readonly region: string;
  readonly health: RegionHealthState;
  readonly successes: number;
  readonly failures: number;
  /** Passive ejection: not routed to before this time (epoch ms); 0 when not ejected. */
  readonly ejectedUntilMs: number;
  readonly ejections: number;
}

export interface GlbPolicyConfig extends EjectionConfig {
  /** Consecutive failed checks that turn a region unhealthy. */
  readonly unhealthyThreshold: number;
  /** Consecutive good checks that turn it healthy again. */
  readonly healthyThreshold: number;
}

export interface HealthTransition {
  readonly from: RegionHealthState;
  readonly to: RegionHealthState;
}

export function initialRegionState(region: string): RegionState {
  return { region, health: 'unknown', successes: 0, failures: 0, ejectedUntilMs: 0, ejections: 0 };
}

/**
 * Whether a passing check leaves a region exactly as it is: healthy, not ejected, no failure since
 * and at least healthyThreshold passes (its pass count then saturates: it decides nothing until a
 * failure resets it), so the checks of a healthy region allocate nothing.
 */
export function steadyCheck(s: RegionState, ok: boolean, cfg: GlbPolicyConfig): boolean {
  return ok && s.health === 'healthy' && s.failures === 0 && s.successes >= cfg.healthyThreshold && s.ejectedUntilMs === 0;
}

/**
 * Applies one active health-check result. The first result decides an unknown region at once;
 * afterwards the thresholds apply. A definite failure (`immediate`, e.g. connection refused)
 * skips the failure threshold.
 */
export function observeCheck(s: RegionState, ok: boolean, cfg: GlbPolicyConfig, immediate = false): { state: RegionState; transition?: HealthTransition } {
  if (steadyCheck(s, ok, cfg)) return { state: s };
  const successes = ok ? s.successes + 1 : 0;
  const failures = ok ? 0 : s.failures + 1;
  let health = s.health;
  if (ok && health !== 'healthy' && (health === 'unknown' || successes >= cfg.healthyThreshold)) health = 'healthy';
  if (!ok && health !== 'unhealthy' && (health === 'unknown' || immediate || failures >= cfg.unhealthyThreshold)) health = 'unhealthy';
  const state: RegionState = { region: s.region, health, successes, failures, ejectedUntilMs: s.ejectedUntilMs, ejections: s.ejections };
  return health === s.health ? { state } : { state, transition: { from: s.health, to: health } };
}

/**
 * Ejects a region on passive evidence (a failed request) for its ejection time. A region the
 * active checks already hold out is left as it is: more failures from it are no news, and growing
 * its ejection time would only delay the failback once it heals.
 */
export function ejectRegion(s: RegionState, nowMs: number, cfg: GlbPolicyConfig): RegionState {
  if (s.health === 'unhealthy' || nowMs < s.ejectedUntilMs) return s;
  const ejections = s.ejections + 1;
  return { ...s, ejections, ejectedUntilMs: nowMs + ejectionMs(ejections, cfg) };
}

/** A region takes new traffic when its checks say healthy and it is not ejected. */
export function regionAvailable(s: RegionState, nowMs: number): boolean {
  return s.health === 'healthy' && nowMs >= s.ejectedUntilMs;
}

/**
 * Regions to try for a request from `home`, best first, skipping `exclude` (regions this request
 * already failed on): available home, other available regions in topology order, then — as a
 * last resort rather than an error — regions the active checks do not hold out (passively ejected
 * or not yet checked; those whose ejection ends first first), then the rest.
 */
export function routeOrder(states: readonly RegionState[], home: string, exclude: ReadonlySet<string>, nowMs: number): string[] {
  const candidates = states.filter((s) => !exclude.has(s.region));
  const tier = (s: RegionState): number => {
    if (regionAvailable(s, nowMs)) return s.region === home ? 0 : 1;
    return s.health !== 'unhealthy' ? 2 : 3;
  };
  return candidates
    .map((s, i) => ({ s, i, t: tier(s) }))
    .sort((a, b) => a.t - b.t || (a.t === 2 ? a.s.ejectedUntilMs - b.s.ejectedUntilMs : 0) || a.i - b.i)
    .map((c) => c.s.region);
}

/** The first region of routeOrder (the same order), without building it: a request's first try. */
export function firstChoice(states: readonly RegionState[], home: string, exclude: ReadonlySet<string> | undefined, nowMs: number): string | undefined {
  let best: RegionState | undefined;
  let bestTier = 4;
  for (const s of states) {
    if (exclude !== undefined && exclude.size > 0 && exclude.has(s.region)) continue;
    const t = regionAvailable(s, nowMs) ? (s.region === home ? 0 : 1) : s.health !== 'unhealthy' ? 2 : 3;
    // earlier in topology order wins a tie; in tier 2 the ejection that ends first wins
    if (t < bestTier || (t === 2 && bestTier === 2 && s.ejectedUntilMs < best!.ejectedUntilMs)) {
      best = s;
      bestTier = t;
    }
  }
  return best?.region;
}

/** Where new requests of each home region go now (its first choice), for failover/failback events. */
export function preferredTargets(states: readonly RegionState[], nowMs: number): Map<string, string | undefined> {
  const out = new Map<string, string | undefined>();
  for (const home of states) {
    const first = firstChoice(states, home.region, undefined, nowMs);
    const s = states.find((x) => x.region === first);
    out.set(home.region, s && regionAvailable(s, nowMs) ? first : undefined);
  }
  return out;
}
