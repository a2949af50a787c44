// Cross-region replication of model versions, deployment records and routing configuration (the
// seed's CrossRegionReplicator): the leader pushes the `models/`, `deployments/` and `config/` keys
// of its state store to every region's gateway, which keeps a durable copy in its own region store
// (so a region knows its configuration while the control plane is away). A push is acknowledged
// with the digest of what the region stored; failures are `config.replication-failed` events (first
// of a streak) and `config.replicated` follows every change that reached a region — never swallowed.
import { createHash } from 'node:crypto';
import { Gauge, type Registry } from 'prom-client';
import { request } from 'undici';
import type { Clock, TimerHandle } from '../core/clock.js';
import { EV } from '../record/event-types.js';
import type { EventSink } from '../record/events.js';
import type { StateStore } from './state-store.js';
import { labAuthHeaders } from '../protocol/http-guard.js';

export const CONFIG_PREFIXES = ['models/', 'deployments/', 'config/'] as const;
export const CONFIG_PATH = '/internal/config';

export interface ConfigReplicatorOptions {
  readonly regions: readonly string[];
  /** Base URL of a region's gateway now, or undefined when unknown. */
  readonly gatewayUrl: (region: string) => string | undefined;
  readonly intervalMs: number;
  readonly requestTimeoutMs: number;
}

/** The replicated configuration and its digest (sha256 over the sorted key/value pairs). */
export async function configSnapshot(store: StateStore): Promise<{ digest: string; keys: Record<string, string> }> {
  const keys: Record<string, string> = {};
  for (const p of CONFIG_PREFIXES) for (const [k, v] of await store.list(p)) keys[k] = v;
  return { digest: configDigest(keys), keys };
}

export function configDigest(keys: Readonly<Record<string, string>>): string {
  const h = createHash('sha256');
  for (const k of Object.keys(keys).sort()) h.update(k).update('\0').update(keys[k]!).update('\0');
  return h.digest('hex');
}

export class ConfigReplicator {
  private timer: TimerHandle | undefined;
  private stopped = false;
  private readonly acked = new Map<string, string>();
  private readonly failing = new Set<string>();
  private readonly pendingSinceMs = new Map<string, number>();

  constructor(
    private readonly store: StateStore,
    private readonly opts: ConfigReplicatorOptions,
    private readonly clock: Clock,
    private readonly events: EventSink,
    registry?: Registry,
  ) {
    const lagS = (region: string): number => (this.pendingSinceMs.has(region) ? (this.clock.nowMs() - this.pendingSinceMs.get(region)!) / 1000 : 0);
    const regions = opts.regions;
    if (registry) {
      new Gauge({
        name: 'halab_config_replication_lag_seconds',
        help: 'How long a region has been behind the control plane\'s configuration (0 when in sync).',
        labelNames: ['region'],
        registers: [registry],
        collect() {
          for (const r of regions) this.set({ region: r }, lagS(r));
        },
      });
    }
  }

  /** Syncs every intervalMs, the first time after one interval (gateways start after the control plane). */
  start(): void {
    const tick = (): void => {
      if (this.stopped) return;
      void this.syncAll().finally(() => {
        if (!this.stopped) this.timer = this.clock.setTimer(this.opts.intervalMs, tick);
      });
    };
    this.timer = this.clock.setTimer(this.opts.intervalMs, tick);
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }

  /** Pushes the current configuration to every region that has not acknowledged it yet. */
  async syncAll(): Promise<void> {
    const snap = await configSnapshot(this.store);
    await Promise.all(this.opts.regions.map((r) => this.push(r, snap)));
  }

  /** The digest a region holds now (it may have lost its store since the last push). */
  private async regionDigest(base: string): Promise<string | undefined> {
    const res = await request(`${base}${CONFIG_PATH}`, { headers: labAuthHeaders(), headersTimeout: this.opts.requestTimeoutMs, bodyTimeout: this.opts.requestTimeoutMs });
    const body = (await res.body.json().catch(() => ({}))) as { digest?: string };
    if (res.statusCode !== 200) throw new Error(`${base}${CONFIG_PATH} answered ${res.statusCode}`);
    return body.digest;
  }

  private async push(region: string, snap: { digest: string; keys: Record<string, string> }): Promise<void> {
    try {
      const base = this.opts.gatewayUrl(region);
      if (!base && !this.acked.has(region)) return; // the region's gateway has not started yet
      if (!base) throw new Error(`no gateway known for region ${region}`);
      if ((await this.regionDigest(base)) === snap.digest) {
        this.acked.set(region, snap.digest);
        this.pendingSinceMs.delete(region);
        if (this.failing.delete(region)) this.events.emit(EV.configReplicated, region, 'region reachable again, already in sync', { digest: snap.digest, keys: Object.keys(snap.keys).length, lagMs: 0 });
        return;
      }
      if (!this.pendingSinceMs.has(region)) this.pendingSinceMs.set(region, this.clock.nowMs());
      const res = await request(`${base}${CONFIG_PATH}`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...labAuthHeaders() },
        body: JSON.stringify(snap),
        headersTimeout: this.opts.requestTimeoutMs,
        bodyTimeout: this.opts.requestTimeoutMs,
      });
      const body = (await res.body.json().catch(() => ({}))) as { digest?: string };
      if (res.statusCode !== 200) throw new Error(`${base}${CONFIG_PATH} answered ${res.statusCode}`);
      if (body.digest !== snap.digest) throw new Error(`region ${region} stored digest ${String(body.digest).slice(0, 12)}…, expected ${snap.digest.slice(0, 12)}…`);
      const lagMs = Math.round(this.clock.nowMs() - this.pendingSinceMs.get(region)!);
      this.acked.set(region, snap.digest);
      this.pendingSinceMs.delete(region);
      this.failing.delete(region);
      this.events.emit(EV.configReplicated, region, undefined, { digest: snap.digest, keys: Object.keys(snap.keys).length, lagMs });
    } catch (err) {
      if (!this.pendingSinceMs.has(region) && this.acked.get(region) !== snap.digest) this.pendingSinceMs.set(region, this.clock.nowMs());
      if (!this.failing.has(region)) {
        this.failing.add(region);
        this.events.emit(EV.configReplicationFailed, region, (err as Error).message, { digest: snap.digest });
      }
    }
  }
}
