// Exponential backoff, pure: the delay before the n-th consecutive retry, capped, optionally
// jittered from a seeded Rng — the one formula behind every retry loop, reconnect and ejection.
import type { Rng } from '../core/rng.js';

export interface BackoffConfig {
  /** Delay before the first retry, ms. */
  readonly baseMs: number;
  /** Cap on any delay, ms. */
  readonly maxMs: number;
  /** Growth per attempt; default 2. */
  readonly multiplier?: number;
  /** Fraction (0..1) of the delay drawn at random: the delay is uniform in [(1 - jitter)·d, d]; default 0. */
  readonly jitter?: number;
}

/** Delay before the attempt-th consecutive retry (1-based): baseMs × multiplier^(attempt-1), capped at maxMs, jittered, whole ms. */
export function backoffDelayMs(attempt: number, cfg: BackoffConfig, rng?: Rng): number {
  const ceilingMs = Math.min(cfg.maxMs, cfg.baseMs * (cfg.multiplier ?? 2) ** Math.max(0, attempt - 1));
  const jitter = cfg.jitter ?? 0;
  if (jitter === 0) return Math.round(ceilingMs);
  if (!rng) throw new RangeError('a jittered backoff needs an rng');
  return Math.round(ceilingMs * (1 - jitter) + rng.next() * ceilingMs * jitter);
}

/** A retry loop's backoff: `nextMs()` after each failure, `reset()` after a success. */
export class Backoff {
  private attempts = 0;

  constructor(
    private readonly cfg: BackoffConfig,
    private readonly rng?: Rng,
  ) {}

  nextMs(): number {
    this.attempts += 1;
    return backoffDelayMs(this.attempts, this.cfg, this.rng);
  }

  reset(): void {
    this.attempts = 0;
  }
}

/** How clients (replica registration, the gateway's topology watch) back off from the control plane. */
export const CP_RECONNECT_BACKOFF: BackoffConfig = Object.freeze({ baseMs: 100, maxMs: 2000 });

/** Wait before the next control-plane address while a round of the list is not yet exhausted, ms. */
export const NEXT_ADDRESS_DELAY_MS = 50;

/** Delay before reconnecting after `failedRounds` whole rounds of addresses failed in a row (0: the round goes on). */
export function reconnectDelayMs(failedRounds: number, cfg: BackoffConfig = CP_RECONNECT_BACKOFF): number {
  return failedRounds === 0 ? NEXT_ADDRESS_DELAY_MS : backoffDelayMs(failedRounds, cfg);
}
