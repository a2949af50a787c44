// The replicas a gateway may route to: the control plane's routable topology, minus the replicas
// this gateway ejected on its own evidence (connection errors, repeated 5xx, timeouts, stalls, cut
// streams). Ejection is the per-upstream circuit breaker: open on ejection, half-open once its
// ejection time (doubling per repeat, Envoy-style) is over and probes run (/health, or /v1/models
// where an upstream has no /health), closed after `readmitSuccesses` good probes. A 429 does not
// eject: the upstream is skipped until its Retry-After (or a jittered backoff). Retries towards
// one upstream are bounded per window so a struggling upstream is never hammered. If the control
// plane is unreachable the last topology stays in force.
import { request } from 'undici';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { GatewayConfig } from './config.js';
import type { Rng } from '../../core/rng.js';
import { failureDecision, type FailureKind } from '../../policy/retry.js';
import { backoffDelayMs, type BackoffConfig } from '../../policy/backoff.js';
import { ejectionMs, nextEjectionCount } from '../../policy/ejection.js';
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
}

interface Ejection {
  untilMs: number;
  count: number;
  goodProbes: number;
  timer?: TimerHandle;
  kind: FailureKind;
}

export class UpstreamPool {
  private routable: Upstream[] = [];
  private readonly ejected = new Map<string, Ejection>();
  /** Ejection counts survive re-admission so a flapping replica stays out longer each time. */
  private readonly ejectionCounts = new Map<string, number>();
  /** When each replica was last re-admitted: a replica that stays in long enough is forgiven. */
  private readonly readmittedAtMs = new Map<string, number>();
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
    /** The re-admission health check (HTTP by default; in-memory in the virtual-time harness). */
    private readonly healthCheck?: (upstream: Upstream) => Promise<boolean>,
  ) {
    this.backoff = { baseMs: config.backoffBaseMs, maxMs: config.backoffMaxMs, jitter: 0.5 };
  }

  /** Replaces the routable set with the control plane's latest topology. */
  setTopology(upstreams: readonly Upstream[]): void {
    this.routable = [...upstreams];
  }

  /** Replicas usable now: routable, not ejected, not busy. */
  available(): Upstream[] {
    const now = this.clock.nowMs();
    return this.routable.filter((u) => !this.ejected.has(u.replicaId) && (this.busyUntil.get(u.replicaId) ?? 0) <= now);
  }

  pick(exclude: ReadonlySet<string>, version?: string, clusters?: ReadonlySet<string>): Upstream | undefined {
    const available = clusters ? this.available().filter((u) => clusters.has(`${u.region}/${u.cluster}`)) : this.available();
    // a new request follows the deployment's weights; a resumed one needs its version, whatever the weight
    if (version === undefined && weightsActive(available)) {
      const weighted = pickWeighted(available, this.weightScores, exclude);
      if (weighted) return weighted;
    }
    return pickReplica(available, { outstanding: this.outstanding, turn: this.turn++ }, exclude, version);
  }
  /** Routable, not ejected members of `clusters` that are busy (429) now: ms until the first is free. */
  nextFreeInMs(clusters: ReadonlySet<string> | undefined, exclude: ReadonlySet<string>): number | undefined {
    const now = this.clock.nowMs();
    let best: number | undefined;
    for (const u of this.routable) {
      if ((clusters && !clusters.has(`${u.region}/${u.cluster}`)) || exclude.has(u.replicaId) || this.ejected.has(u.replicaId)) continue;
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

  /** A complete answer: the replica's failure and 429 streaks end. */
  recordSuccess(replicaId: string): void {
    this.consecutiveFailures.delete(replicaId);
    this.consecutive429.delete(replicaId);
  }

  /** A failed attempt: ejects at once or once failures repeat `consecutiveFailuresToEject` times. */
  recordFailure(upstream: Upstream, kind: FailureKind, reason: string): void {
    const n = (this.consecutiveFailures.get(upstream.replicaId) ?? 0) + 1;
    this.consecutiveFailures.set(upstream.replicaId, n);
    if (failureDecision(kind).ejectNow || n >= this.config.consecutiveFailuresToEject) {
      this.consecutiveFailures.delete(upstream.replicaId);
      this.eject(upstream, kind, reason);
    }
  }

  acquire(replicaId: string): () => void {
    return acquireOutstanding(this.outstanding, replicaId);
  }

  /** Marks a replica busy (429) until retryAfterMs from now, without ejecting it. */
  markBusy(replicaId: string, retryAfterMs: number): void {
    this.busyUntil.set(replicaId, this.clock.nowMs() + retryAfterMs);
  }

  isEjected(replicaId: string): boolean {
    return this.ejected.has(replicaId);
  }

  /** Stops routing to a replica on this gateway's own evidence. */
  eject(upstream: Upstream, kind: FailureKind, reason: string): void {
    if (this.closed || this.ejected.has(upstream.replicaId)) return;
    // Envoy-style decay: each ejectionDecayMs spent in service takes one off the ejection count
    const since = this.readmittedAtMs.get(upstream.replicaId);
    const count = nextEjectionCount(this.ejectionCounts.get(upstream.replicaId) ?? 0, since === undefined ? undefined : this.clock.nowMs() - since, this.config.ejectionDecayMs);
    this.ejectionCounts.set(upstream.replicaId, count);
    const durationMs = ejectionMs(count, this.config);
    const ejection: Ejection = { untilMs: this.clock.nowMs() + durationMs, count, goodProbes: 0, kind };
    this.ejected.set(upstream.replicaId, ejection);
    this.events.emit(EV.passiveEject, upstream.replicaId, reason, { kind, ejectionMs: durationMs, count });
    this.onEject?.(upstream.replicaId, kind, reason);
    ejection.timer = this.clock.setTimer(durationMs, () => void this.probeForReadmit(upstream, ejection));
  }

  close(): void {
    this.closed = true;
    for (const e of this.ejected.values()) e.timer?.cancel();
    this.ejected.clear();
  }

  private async probeForReadmit(upstream: Upstream, ejection: Ejection): Promise<void> {
    if (this.closed || this.ejected.get(upstream.replicaId) !== ejection) return;
    const ok = await (this.healthCheck ? this.healthCheck(upstream) : this.healthOk(upstream));
    if (this.closed || this.ejected.get(upstream.replicaId) !== ejection) return;
    ejection.goodProbes = ok ? ejection.goodProbes + 1 : 0;
    if (ejection.goodProbes >= this.config.readmitSuccesses) {
      this.ejected.delete(upstream.replicaId);
      this.readmittedAtMs.set(upstream.replicaId, this.clock.nowMs());
      this.events.emit(EV.passiveReadmit, upstream.replicaId, `${ejection.goodProbes} good health probes`, { count: ejection.count });
      return;
    }
    ejection.timer = this.clock.setTimer(this.config.readmitProbeIntervalMs, () => void this.probeForReadmit(upstream, ejection));
  }

  /** GET /health; an upstream without one (404, e.g. a hosted API) is probed at /v1/models. */
  private async healthOk(upstream: Upstream): Promise<boolean> {
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.config.firstTokenTimeoutMs, () => controller.abort());
    const headers = upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {};
    try {
      for (const path of ['/health', '/v1/models']) {
        const res = await request(`${upstream.httpUrl}${path}`, { signal: controller.signal, headers });
        await res.body.dump();
        if (res.statusCode !== 404) return res.statusCode === 200;
      }
      return false;
    } catch {
      return false;
    } finally {
      timer.cancel();
    }
  }
}
