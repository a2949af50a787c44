// The replicas a gateway may route to: the control plane's routable topology, minus the upstream ×
// model pairs this gateway ejected on its own evidence (connection errors, repeated 5xx, timeouts,
// stalls, cut streams). Ejection opens the pair's circuit breaker (circuits.ts), which only a
// completion of that model closes again. A 429 does not eject: the upstream is skipped until its
// Retry-After (or a jittered backoff). Retries towards one upstream are bounded per window so a
// struggling upstream is never hammered. If the control plane is unreachable the last topology
// stays in force.
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import type { GatewayConfig } from './config.js';
import type { Rng } from '../../core/rng.js';
import { failureDecision, type FailureKind } from '../../policy/retry.js';
import { backoffDelayMs, type BackoffConfig } from '../../policy/backoff.js';
import { Circuits, type CircuitProbes } from './circuits.js';
import { pickReplica } from '../../policy/routing.js';
import { pickWeighted, weightsActive } from '../../policy/weighted-pick.js';
import { acquireOutstanding } from './outstanding.js';

export type { FailureKind } from '../../policy/retry.js';

export interface Upstream {
  readonly replicaId: string;
  readonly region: string;
  readonly cluster: string;
  readonly httpUrl: string;
  readonly modelVersion: string;
  /** Bearer token for external upstreams (read from the environment variable the topology names). */
  readonly apiKey?: string;
  /** Extra request headers (the global load balancer names the completion id it gave the client). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Relative share of new requests during a deployment (absent: 1). */
  readonly weight?: number;
  /**
   * The engine's system_fingerprint names its build, not the model (llama.cpp): the answer's
   * version is the one the replica registered with.
   */
  readonly versionFromRegistration?: boolean;
}

export class UpstreamPool {
  private routable: Upstream[] = [];
  /** Circuit breakers per upstream × model. */
  readonly circuits: Circuits;
  /** Replicas that answered 429 with Retry-After: skipped until then. */
  private readonly busyUntil = new Map<string, number>();
  private readonly outstanding = new Map<string, number>();
  /** Consecutive failures that did not eject at once (5xx, resets), per replica. */
  private readonly consecutiveFailures = new Map<string, number>();
  /** Consecutive 429s without Retry-After, per replica (drives the backoff). */
  private readonly consecutive429 = new Map<string, number>();
  /** Times of recent retry attempts, per replica (bounded per window). */
  private readonly retryTimes = new Map<string, number[]>();
  /** Equal jitter: each delay is uniform in [ceiling/2, ceiling]. */
  private readonly backoff: BackoffConfig;
  private turn = 0;
  private readonly weightScores = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    /** Draws the backoff jitter; derived from the run's seed. */
    private readonly rng: Rng,
    private readonly onEject?: (replicaId: string, kind: FailureKind, reason: string) => void,
    /** How open circuits are checked (HTTP by default; in memory in the virtual-time harness). */
    probes?: CircuitProbes,
  ) {
    this.backoff = { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs, jitter: 0.5 };
    this.circuits = new Circuits(config, clock, events, probes);
  }

  /** Replaces the routable set with the control plane's latest topology. */
  setTopology(upstreams: readonly Upstream[]): void {
    this.routable = [...upstreams];
  }

  /** Replicas usable now for `model` (any: no circuit open): routable, circuit admitting, not busy. */
  available(model?: string): Upstream[] {
    const now = this.clock.nowMs();
    return this.routable.filter((u) => this.admits(u.replicaId, model) && (this.busyUntil.get(u.replicaId) ?? 0) <= now);
  }

  /** How many replicas available() would list (the gateway's /health asks on every check), without listing them. */
  availableCount(model?: string): number {
    const now = this.clock.nowMs();
    let n = 0;
    for (const u of this.routable) if (this.admits(u.replicaId, model) && (this.busyUntil.get(u.replicaId) ?? 0) <= now) n += 1;
    return n;
  }

  private admits(replicaId: string, model: string | undefined): boolean {
    return model === undefined ? !this.circuits.isOpen(replicaId) : this.circuits.admits(replicaId, model);
  }

  pick(exclude: ReadonlySet<string>, version?: string, clusters?: ReadonlySet<string>, model?: string): Upstream | undefined {
    const available = clusters ? this.available(model).filter((u) => clusters.has(`${u.region}/${u.cluster}`)) : this.available(model);
    // a new request follows the deployment's weights; a resumed one needs its version, whatever the weight
    if (version === undefined && weightsActive(available)) {
      const weighted = pickWeighted(available, this.weightScores, exclude);
      if (weighted) return weighted;
    }
    return pickReplica(available, { outstanding: this.outstanding, turn: this.turn++ }, exclude, version);
  }
  /** Routable, not ejected members of `clusters` that are busy (429) now: ms until the first is free. */
  nextFreeInMs(clusters: ReadonlySet<string> | undefined, exclude: ReadonlySet<string>, model?: string): number | undefined {
    const now = this.clock.nowMs();
    let best: number | undefined;
    for (const u of this.routable) {
      if ((clusters && !clusters.has(`${u.region}/${u.cluster}`)) || exclude.has(u.replicaId) || !this.admits(u.replicaId, model)) continue;
      const wait = Math.max(0, (this.busyUntil.get(u.replicaId) ?? 0) - now);
      if (best === undefined || wait < best) best = wait;
    }
    return best;
  }

  /** Whether the replica failed or answered 429 on its last attempts (retries to it are bounded). */
  struggling(replicaId: string): boolean {
    return (this.consecutiveFailures.get(replicaId) ?? 0) > 0 || (this.consecutive429.get(replicaId) ?? 0) > 0;
  }

  /** Whether one more retry attempt may go to this replica within the retry window. */
  retryAllowed(replicaId: string): boolean {
    const since = this.clock.monoMs() - this.config.retryWindowMs;
    const times = (this.retryTimes.get(replicaId) ?? []).filter((t) => t > since);
    this.retryTimes.set(replicaId, times);
    return times.length < this.config.retriesPerWindowMax;
  }

  noteRetry(replicaId: string): void {
    const times = this.retryTimes.get(replicaId) ?? [];
    times.push(this.clock.monoMs());
    this.retryTimes.set(replicaId, times);
  }

  /** A 429: skip the replica until Retry-After, or a jittered exponential backoff without one. Returns the ms. */
  rateLimited(replicaId: string, retryAfterMs: number | undefined): number {
    const n = (this.consecutive429.get(replicaId) ?? 0) + 1;
    this.consecutive429.set(replicaId, n);
    const ms = retryAfterMs ?? backoffDelayMs(n, this.backoff, this.rng);
    this.markBusy(replicaId, ms);
    return ms;
  }

  /** Jittered backoff before retrying the same replica (n-th retry). */
  retryBackoffMs(n: number): number {
    return backoffDelayMs(n, this.backoff, this.rng);
  }

  /** A complete answer of `model`: the replica's failure and 429 streaks end, its circuit closes. */
  recordSuccess(replicaId: string, model?: string): void {
    this.consecutiveFailures.delete(replicaId);
    this.consecutive429.delete(replicaId);
    this.circuits.succeeded(replicaId, model);
  }

  /**
   * A failed attempt: ejects at once, once failures repeat `consecutiveFailuresToEject` times, or
   * when it was the trial of a half-open circuit.
   */
  recordFailure(upstream: Upstream, kind: FailureKind, reason: string, model?: string): void {
    const n = (this.consecutiveFailures.get(upstream.replicaId) ?? 0) + 1;
    this.consecutiveFailures.set(upstream.replicaId, n);
    if (failureDecision(kind).ejectNow || n >= this.config.consecutiveFailuresToEject || this.circuits.isOpen(upstream.replicaId, model)) {
      this.consecutiveFailures.delete(upstream.replicaId);
      this.eject(upstream, kind, reason, model);
    }
  }

  /** An attempt on the replica for `model` starts; the returned call ends it. */
  acquire(replicaId: string, model?: string): () => void {
    const release = acquireOutstanding(this.outstanding, replicaId);
    const ended = this.circuits.attemptStarted(replicaId, model);
    return () => {
      release();
      ended();
    };
  }

  /** Marks a replica busy (429) until retryAfterMs from now, without ejecting it. */
  markBusy(replicaId: string, retryAfterMs: number): void {
    this.busyUntil.set(replicaId, this.clock.nowMs() + retryAfterMs);
  }

  /** Whether a circuit of the replica (for `model`, or any) is open. */
  isEjected(replicaId: string, model?: string): boolean {
    return this.circuits.isOpen(replicaId, model);
  }

  /** Stops routing `model` (all models when undefined) to a replica on this gateway's own evidence. */
  eject(upstream: Upstream, kind: FailureKind, reason: string, model?: string): void {
    if (this.closed) return;
    if (this.circuits.trip(upstream, model, kind, reason) !== undefined) this.onEject?.(upstream.replicaId, kind, reason);
  }

  close(): void {
    this.closed = true;
    this.circuits.close();
  }
}
