// Envoy-style health state machine, pure. Each replica has separate signals (liveness, gpu, model,
// inference, latency, errors); each signal counts consecutive successes and failures and flips
// only past its threshold. Check intervals depend on state (fast while unknown or on an edge).

export const SIGNALS = ['liveness', 'gpu', 'model', 'inference', 'latency', 'errors'] as const;
export type SignalName = (typeof SIGNALS)[number];
export type SignalHealth = 'unknown' | 'healthy' | 'unhealthy';

export interface SignalState {
  readonly health: SignalHealth;
  readonly consecutiveOk: number;
  readonly consecutiveFail: number;
  readonly lastReason?: string;
}

export interface HealthPolicyConfig {
  /** Consecutive failures that turn a healthy signal unhealthy. */
  readonly unhealthyThreshold: number;
  /** Consecutive successes that turn an unknown/unhealthy signal healthy. */
  readonly healthyThreshold: number;
  /** Probe interval while healthy. */
  readonly intervalMs: number;
  /** Probe interval while unhealthy (recovering hosts are probed less often). */
  readonly unhealthyIntervalMs: number;
  /** Probe interval while unknown, and right after a first failure or success (an edge). */
  readonly edgeIntervalMs: number;
  /** Probe latency above this counts as a latency failure. */
  readonly latencyMaxMs: number;
  /** A probe that takes longer than this fails as a timeout. */
  readonly probeTimeoutMs: number;
  /** Error ratio over the last window above this fails the errors signal. */
  readonly errorRatioMax: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicyConfig = Object.freeze({
  unhealthyThreshold: 2,
  healthyThreshold: 2,
  intervalMs: 500,
  unhealthyIntervalMs: 1000,
  edgeIntervalMs: 100,
  latencyMaxMs: 1000,
  probeTimeoutMs: 1500,
  errorRatioMax: 0.2,
});

export const INITIAL_SIGNAL: SignalState = Object.freeze({ health: 'unknown', consecutiveOk: 0, consecutiveFail: 0 });

export interface SignalTransition {
  readonly from: SignalHealth;
  readonly to: SignalHealth;
}

/**
 * Whether a success leaves a signal exactly as it is: a healthy signal with no failure since and
 * at least healthyThreshold successes. Its success count then saturates (it decides nothing until a
 * failure resets it), so the probe path of a healthy fleet allocates no new states.
 */
export function steadyOk(state: SignalState, ok: boolean, config: HealthPolicyConfig, reason?: string): boolean {
  return ok && reason === undefined && state.health === 'healthy' && state.consecutiveFail === 0 && state.consecutiveOk >= config.healthyThreshold && state.lastReason === undefined;
}

/**
 * Applies one observation to a signal. `immediate` failures (a closed heartbeat stream, a GPU that
 * reports an Xid) skip the threshold: they are facts, not flaky probes.
 */
export function observe(
  state: SignalState,
  ok: boolean,
  config: HealthPolicyConfig,
  reason?: string,
  immediate = false,
): { state: SignalState; transition?: SignalTransition } {
  if (steadyOk(state, ok, config, reason)) return { state };
  const consecutiveOk = ok ? state.consecutiveOk + 1 : 0;
  const consecutiveFail = ok ? 0 : state.consecutiveFail + 1;
  let health = state.health;
  if (ok && health !== 'healthy' && consecutiveOk >= config.healthyThreshold) health = 'healthy';
  if (!ok && health !== 'unhealthy' && (immediate || consecutiveFail >= config.unhealthyThreshold || health === 'unknown')) {
    health = 'unhealthy';
  }
  const next: SignalState = reason ? { health, consecutiveOk, consecutiveFail, lastReason: reason } : { health, consecutiveOk, consecutiveFail };
  return health === state.health ? { state: next } : { state: next, transition: { from: state.health, to: health } };
}

export type ReplicaSignals = Readonly<Record<SignalName, SignalState>>;

export function initialSignals(): ReplicaSignals {
  const i = INITIAL_SIGNAL;
  return { liveness: i, gpu: i, model: i, inference: i, latency: i, errors: i };
}

/**
 * The signals with one of them replaced. (A literal of one shape: the probe path calls it five
 * times a probe, and a spread with a computed key is several times slower.)
 */
export function withSignal(s: ReplicaSignals, name: SignalName, state: SignalState): ReplicaSignals {
  return {
    liveness: name === 'liveness' ? state : s.liveness,
    gpu: name === 'gpu' ? state : s.gpu,
    model: name === 'model' ? state : s.model,
    inference: name === 'inference' ? state : s.inference,
    latency: name === 'latency' ? state : s.latency,
    errors: name === 'errors' ? state : s.errors,
  };
}

const NONE_UNMEASURED: ReadonlySet<SignalName> = new Set();

/** A replica is healthy only when every signal is healthy (signals in `unmeasured` are left out). */
export function replicaHealth(signals: ReplicaSignals, unmeasured: ReadonlySet<SignalName> = NONE_UNMEASURED): SignalHealth {
  let allHealthy = true;
  for (const s of SIGNALS) {
    if (unmeasured.size > 0 && unmeasured.has(s)) continue;
    const h = signals[s].health;
    if (h === 'unhealthy') return 'unhealthy';
    if (h !== 'healthy') allHealthy = false;
  }
  return allHealthy ? 'healthy' : 'unknown';
}

/** The first unhealthy signal and its reason, for events and status. */
export function unhealthyReason(signals: ReplicaSignals): string | undefined {
  for (const s of SIGNALS) {
    if (signals[s].health === 'unhealthy') return `${s}: ${signals[s].lastReason ?? 'failed'}`;
  }
  return undefined;
}

/** Delay until the next probe of a replica, from its signals' states. */
export function nextProbeDelayMs(signals: ReplicaSignals, config: HealthPolicyConfig, unmeasured: ReadonlySet<SignalName> = NONE_UNMEASURED): number {
  let anyUnhealthy = false;
  for (const name of SIGNALS) {
    if (unmeasured.size > 0 && unmeasured.has(name)) continue;
    const s = signals[name];
    const onEdge = s.health === 'unknown' || (s.health === 'healthy' && s.consecutiveFail > 0) || (s.health === 'unhealthy' && s.consecutiveOk > 0);
    if (onEdge) return config.edgeIntervalMs;
    if (s.health === 'unhealthy') anyUnhealthy = true;
  }
  return anyUnhealthy ? config.unhealthyIntervalMs : config.intervalMs;
}
