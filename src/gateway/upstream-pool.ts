// The replicas a gateway may route to: the control plane's routable topology, minus the replicas
// this gateway ejected on its own evidence (connection errors, 5xx, timeouts, stalls, cut streams).
// An ejected replica comes back after its ejection time (doubling per repeat, Envoy-style) and
// `readmitSuccesses` good /health probes. If the control plane is unreachable the last topology
// stays in force: routing never depends on the control plane being up.
import { request } from 'undici';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import { EV } from '../core/event-types.js';
import type { GatewayConfig } from './config.js';
import { pickReplica } from './router.js';
import { pickWeighted, weightsActive } from './weighted-pick.js';

export interface Upstream {
  readonly replicaId: string;
  readonly region: string;
  readonly cluster: string;
  readonly httpUrl: string;
  readonly modelVersion: string;
  /** Relative share of new requests during a deployment (absent: 1). */
  readonly weight?: number;
}

export type FailureKind = 'connect' | 'reset' | 'status' | 'timeout' | 'stall' | 'cut' | 'overload';

interface Ejection {
  untilMs: number;
  count: number;
  goodProbes: number;
  timer?: TimerHandle;
  kind: FailureKind;
}

/** Ejection time for the n-th ejection (1-based): base × 2^(n-1), capped. */
export function ejectionDurationMs(count: number, cfg: Pick<GatewayConfig, 'baseEjectionMs' | 'maxEjectionMs'>): number {
  return Math.min(cfg.maxEjectionMs, cfg.baseEjectionMs * 2 ** Math.max(0, count - 1));
}

export class UpstreamPool {
  private routable: Upstream[] = [];
  private readonly ejected = new Map<string, Ejection>();
  /** Ejection counts survive re-admission so a flapping replica stays out longer each time. */
  private readonly ejectionCounts = new Map<string, number>();
  /** Replicas that answered 429 with Retry-After: skipped until then. */
  private readonly busyUntil = new Map<string, number>();
  private readonly outstanding = new Map<string, number>();
  private turn = 0;
  private readonly weightScores = new Map<string, number>();
  private closed = false;

  constructor(
    private readonly config: GatewayConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    private readonly onEject?: (replicaId: string, kind: FailureKind, reason: string) => void,
  ) {}

  /** Replaces the routable set with the control plane's latest topology. */
  setTopology(upstreams: readonly Upstream[]): void {
    this.routable = [...upstreams];
  }

  /** Replicas usable now: routable, not ejected, not busy. */
  available(): Upstream[] {
    const now = this.clock.nowMs();
    return this.routable.filter((u) => !this.ejected.has(u.replicaId) && (this.busyUntil.get(u.replicaId) ?? 0) <= now);
  }

  pick(exclude: ReadonlySet<string>, version?: string): Upstream | undefined {
    const available = this.available();
    // a new request follows the deployment's weights; a resumed one needs its version, whatever the weight
    if (version === undefined && weightsActive(available)) {
      const weighted = pickWeighted(available, this.weightScores, exclude);
      if (weighted) return weighted;
    }
    const choice = pickReplica(available, { outstanding: this.outstanding, turn: this.turn++ }, exclude, version);
    return choice;
  }

  acquire(replicaId: string): () => void {
    this.outstanding.set(replicaId, (this.outstanding.get(replicaId) ?? 0) + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.outstanding.set(replicaId, Math.max(0, (this.outstanding.get(replicaId) ?? 1) - 1));
    };
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
    const count = (this.ejectionCounts.get(upstream.replicaId) ?? 0) + 1;
    this.ejectionCounts.set(upstream.replicaId, count);
    const durationMs = ejectionDurationMs(count, this.config);
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
    const ok = await this.healthOk(upstream.httpUrl);
    if (this.closed || this.ejected.get(upstream.replicaId) !== ejection) return;
    ejection.goodProbes = ok ? ejection.goodProbes + 1 : 0;
    if (ejection.goodProbes >= this.config.readmitSuccesses) {
      this.ejected.delete(upstream.replicaId);
      this.events.emit(EV.passiveReadmit, upstream.replicaId, `${ejection.goodProbes} good health probes`, { count: ejection.count });
      return;
    }
    ejection.timer = this.clock.setTimer(this.config.readmitProbeIntervalMs, () => void this.probeForReadmit(upstream, ejection));
  }

  private async healthOk(httpUrl: string): Promise<boolean> {
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.config.firstTokenTimeoutMs, () => controller.abort());
    try {
      const res = await request(`${httpUrl}/health`, { signal: controller.signal });
      await res.body.dump();
      return res.statusCode === 200;
    } catch {
      return false;
    } finally {
      timer.cancel();
    }
  }
}
