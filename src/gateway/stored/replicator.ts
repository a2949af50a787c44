// Asynchronous, continuous replication of stored completions to each peer region's gateway:
// batches of the oldest unacknowledged records are POSTed to the peer's /internal/replicate and
// forgotten only when the peer answers that they are durable there. A failing peer is retried
// with capped backoff; the first failure of a streak is a `replication.failed` event and the
// first success after it `replication.recovered` — failures are never swallowed. The lag (age of
// the oldest unacknowledged record) is exported as halab_replication_lag_seconds.
import { Counter, Gauge, type Registry } from 'prom-client';
import { request } from 'undici';
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import { Backoff } from '../../policy/backoff.js';
import type { StoredCompletions } from './stored-completions.js';
import { labAuthHeaders } from '../../protocol/http-guard.js';

export interface ReplicatorConfig {
  readonly batchMax: number;
  readonly requestTimeoutMs: number;
  readonly backoffMinMs: number;
  readonly backoffMaxMs: number;
  /** Poll interval while idle (a save also wakes it). */
  readonly idleMs: number;
}

export const DEFAULT_REPLICATOR_CONFIG: ReplicatorConfig = Object.freeze({ batchMax: 200, requestTimeoutMs: 2000, backoffMinMs: 100, backoffMaxMs: 1000, idleMs: 250 });

export const REPLICATE_PATH = '/internal/replicate';

export function replicationMetrics(registry: Registry, sc: StoredCompletions) {
  new Gauge({
    name: 'halab_replication_lag_seconds',
    help: 'Age of the oldest stored completion not yet acknowledged by the peer region (0 when caught up).',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      for (const p of sc.peers) this.set({ peer: p }, sc.lagMs(p) / 1000);
    },
  });
  new Gauge({
    name: 'halab_replication_pending',
    help: 'Stored completions not yet acknowledged by the peer region.',
    labelNames: ['peer'],
    registers: [registry],
    collect() {
      for (const p of sc.peers) this.set({ peer: p }, sc.pendingCount(p));
    },
  });
  return {
    acked: new Counter({ name: 'halab_replication_acked_total', help: 'Stored completions acknowledged by the peer region.', labelNames: ['peer'], registers: [registry] }),
    failures: new Counter({ name: 'halab_replication_failures_total', help: 'Failed replication batches.', labelNames: ['peer'], registers: [registry] }),
  };
}

export class Replicator {
  private stopped = false;
  private readonly failing = new Set<string>();

  constructor(
    private readonly sc: StoredCompletions,
    /** Current base URL of a peer region's gateway, or undefined when it is not known (down). */
    private readonly peerUrl: (peer: string) => string | undefined,
    private readonly clock: Clock,
    private readonly events: EventSink,
    private readonly metrics: ReturnType<typeof replicationMetrics>,
    private readonly config: ReplicatorConfig = DEFAULT_REPLICATOR_CONFIG,
  ) {}

  start(): void {
    for (const peer of this.sc.peers) void this.loop(peer);
  }

  stop(): void {
    this.stopped = true;
  }

  private async loop(peer: string): Promise<void> {
    const backoff = new Backoff({ baseMs: this.config.backoffMinMs, maxMs: this.config.backoffMaxMs });
    while (!this.stopped) {
      if (this.sc.pendingCount(peer) === 0) {
        await Promise.race([this.sc.nextWrite(), this.clock.sleep(this.config.idleMs)]);
        continue;
      }
      const { records, bodies } = await this.sc.batchFor(peer, this.config.batchMax);
      try {
        await this.send(peer, bodies);
        await this.sc.acked(peer, records);
        this.metrics.acked.inc({ peer }, records.length);
        backoff.reset();
        if (this.failing.delete(peer)) this.events.emit(EV.replicationRecovered, peer, undefined, { pending: this.sc.pendingCount(peer) });
      } catch (err) {
        this.metrics.failures.inc({ peer });
        if (!this.failing.has(peer)) {
          this.failing.add(peer);
          this.events.emit(EV.replicationFailed, peer, (err as Error).message, { pending: this.sc.pendingCount(peer), lagMs: Math.round(this.sc.lagMs(peer)) });
        }
        await this.clock.sleep(backoff.nextMs());
      }
    }
  }

  private async send(peer: string, bodies: readonly unknown[]): Promise<void> {
    const base = this.peerUrl(peer);
    if (!base) throw new Error(`no gateway known for region ${peer}`);
    const res = await request(`${base}${REPLICATE_PATH}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...labAuthHeaders() },
      body: JSON.stringify({ from: this.sc.region, records: bodies }),
      headersTimeout: this.config.requestTimeoutMs,
      bodyTimeout: this.config.requestTimeoutMs,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new Error(`${base}${REPLICATE_PATH} answered ${res.statusCode}: ${text.slice(0, 200)}`);
  }
}
