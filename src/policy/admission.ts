// Admission control at an HTTP edge (regional gateway, global load balancer), pure: a new request
// runs at once while fewer than `activeMax` run, waits in a bounded queue while the queue has
// room, and is shed (429 + Retry-After) when the queue is full or the process's event loop lags —
// the sign that this process is past its capacity and latency is about to collapse. While it lags,
// at the latency limit, or with `activeMax` running, a client below its fair share of the requests
// in flight — or of the requests asked for lately (src/policy/admission-share.ts) — is still admitted
// (fair-share shedding, up to activeMax + queueMax running): the clients that flood pay for the
// overload, not the ones that keep their usual pace.
import { belowAskShare, type AskShare } from './admission-share.js';

export interface AdmissionConfig {
  /** Requests served at once (each holds an upstream connection and its stream's buffers). */
  readonly activeMax: number;
  /** Requests waiting for a slot; beyond this new ones are shed. */
  readonly queueMax: number;
  /** Event-loop delay (p99 over two sample windows in a row) above which new requests are shed; 0: off. */
  readonly loopDelayShedMs: number;
}

export interface AdmissionState {
  readonly active: number;
  readonly queued: number;
  /** The latest measured event-loop delay p99, ms. */
  readonly loopDelayMs: number;
  /** The asking client's requests in flight (running or queued), when clients are told apart. */
  readonly clientInFlight?: number;
  /** Clients with requests in flight, the asking one not counted unless it has some. */
  readonly clients?: number;
  /**
   * The latency limit (src/policy/admission-latency.ts): requests that may run while the time to
   * first byte stays on target; absent: `activeMax`.
   */
  readonly latencyLimit?: number;
  /** The last judged window's median time to first byte, ms (named in the shed reason). */
  readonly latencyMedianMs?: number;
  /** The asking client's share of the requests asked for lately (this one included), when clients are told apart. */
  readonly askShare?: AskShare;
}

/**
 * Whether the asking client holds less than an equal share of the requests in flight, or asked for
 * less than an equal share of the last requests asked (a steady client whose requests last longer
 * than a flood's shed ones).
 */
export function belowFairShare(state: AdmissionState): boolean {
  if (state.askShare !== undefined && belowAskShare(state.askShare)) return true;
  if (state.clientInFlight === undefined || state.clients === undefined) return false;
  const clients = state.clientInFlight === 0 ? state.clients + 1 : state.clients;
  return clients > 1 && state.clientInFlight * clients < state.active + state.queued;
}

/**
 * Requests that may run when the last ones in are clients below their fair share: `activeMax` plus
 * the queue's size, so a flood that fills both the slots and the queue still leaves the steady
 * clients room; memory stays bounded by activeMax + 2 × queueMax requests running or waiting.
 */
export function fairShareRunningMax(config: AdmissionConfig & { readonly queueMax: number }): number {
  return config.activeMax + config.queueMax;
}

export type AdmissionDecision = { readonly kind: 'admit' } | { readonly kind: 'queue' } | { readonly kind: 'shed'; readonly reason: string };

export function admissionDecision(state: AdmissionState, config: AdmissionConfig): AdmissionDecision {
  if (config.loopDelayShedMs > 0 && state.loopDelayMs > config.loopDelayShedMs && !belowFairShare(state)) {
    return { kind: 'shed', reason: `event loop delay ${Math.round(state.loopDelayMs)}ms is above ${config.loopDelayShedMs}ms` };
  }
  const limit = state.latencyLimit ?? config.activeMax;
  if (limit < config.activeMax && state.active >= limit) {
    // latency-limited: a queue would only add to every first token's wait; the fair-share client still runs
    if (belowFairShare(state) && state.active < fairShareRunningMax(config)) return { kind: 'admit' };
    return { kind: 'shed', reason: `${state.active} requests running, at the latency limit of ${limit} (median time to first byte ${Math.round(state.latencyMedianMs ?? 0)}ms over target)` };
  }
  if (state.active < config.activeMax && state.queued === 0) return { kind: 'admit' };
  // a client below its fair share is not queued behind a flood (whose requests may fill the
  // queue): it runs at once, up to the headroom of fairShareRunningMax
  if (belowFairShare(state) && state.active < fairShareRunningMax(config)) return { kind: 'admit' };
  if (state.queued < config.queueMax) return { kind: 'queue' };
  return { kind: 'shed', reason: `${state.active} requests running and ${state.queued} queued (limits ${config.activeMax} and ${config.queueMax})` };
}

/**
 * Retry-After (s) for a shed request: the base, doubled while the event loop lags past twice its
 * limit, so clients back off harder the deeper the overload. Whole seconds, at least 1.
 */
export function shedRetryAfterS(state: AdmissionState, config: AdmissionConfig, baseS: number): number {
  const lagging = config.loopDelayShedMs > 0 && state.loopDelayMs > 2 * config.loopDelayShedMs;
  return Math.max(1, Math.ceil(lagging ? baseS * 2 : baseS));
}
