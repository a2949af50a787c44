// The GLB's live view of the regions (the I/O half of src/gateway/glb-policy.ts): active health
// checks of every regional gateway on the Clock, passive ejections reported by requests, and the
// failover/failback events that follow from them. Routes say which URL reaches a region's gateway
// for clients of a given home region (through the inter-region link proxies when the lab has them).
import { request } from 'undici';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { GlbConfig } from './config.js';
import { ejectRegion, firstChoice, initialRegionState, observeCheck, preferredTargets, regionAvailable, routeOrder, steadyCheck, type RegionState } from '../../policy/region-choice.js';
import { acquireOutstanding } from '../regional/outstanding.js';
import { CheckConnections } from '../regional/upstream-agent.js';

export interface GlbRoutes {
  /** Region names in topology order (the failover order). */
  readonly regions: readonly string[];
  /** URL of each region's gateway as the GLB itself reaches it (health checks, local clients). */
  readonly check: Readonly<Record<string, string>>;
  /** URL for requests of clients homed in A sent to region B, keyed `A>B` (the A→B link). */
  readonly via: Readonly<Record<string, string>>;
}

export interface RegionTarget {
  readonly region: string;
  readonly url: string;
}

/** One active health check of a regional gateway's /health. */
export type RegionCheck = (baseUrl: string) => Promise<{ ok: boolean; immediate?: boolean; reason: string }>;

export class GlbRegions {
  private states: RegionState[];
  private targets = new Map<string, string | undefined>();
  private readonly timers = new Map<string, TimerHandle>();
  private readonly outstanding = new Map<string, number>();
  /** When each route (URL) last delivered a first token or a finished answer, monotonic ms. */
  private readonly progressMs = new Map<string, number>();
  private closed = false;
  private readonly urls = new Map<string, Map<string, string>>();
  private readonly checkConnections: CheckConnections;

  constructor(
    readonly routes: GlbRoutes,
    private readonly config: GlbConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    /** HTTP by default; in-memory in the virtual-time harness. */
    private readonly checkRegion?: RegionCheck,
  ) {
    this.checkConnections = new CheckConnections({ connectTimeoutMs: config.connectTimeoutMs });
    this.states = routes.regions.map(initialRegionState);
    for (const r of routes.regions) this.targets.set(r, r);
  }

  start(): void {
    for (const region of this.routes.regions) this.schedule(region, 0);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers.values()) t.cancel();
    this.checkConnections.close();
  }

  has(region: string): boolean {
    return this.routes.regions.includes(region);
  }

  /** The best region for a request from `home` that has not failed it yet. */
  pick(home: string, exclude: ReadonlySet<string>): RegionTarget | undefined {
    const region = firstChoice(this.states, home, exclude, this.clock.nowMs());
    return region === undefined ? undefined : { region, url: this.url(home, region) };
  }

  /** Every region a request from `home` may go to, best first. */
  ordered(home: string, exclude: ReadonlySet<string> = new Set()): RegionTarget[] {
    return routeOrder(this.states, home, exclude, this.clock.nowMs()).map((region) => ({ region, url: this.url(home, region) }));
  }

  /** The URL for clients of `home` to reach `region` (memoized: every request asks). */
  private url(home: string, region: string): string {
    let byRegion = this.urls.get(home);
    if (!byRegion) this.urls.set(home, (byRegion = new Map()));
    let url = byRegion.get(region);
    if (url === undefined) byRegion.set(region, (url = this.routes.via[`${home}>${region}`] ?? this.routes.check[region]!));
    return url;
  }

  acquire(region: string): () => void {
    return acquireOutstanding(this.outstanding, region);
  }

  /** A route (a target's URL) delivered a first token or finished an answer: it is alive, if slow. */
  noteProgress(url: string): void {
    this.progressMs.set(url, this.clock.monoMs());
  }

  /** How long ago the route last made progress; undefined: never. */
  progressAgoMs(url: string): number | undefined {
    const at = this.progressMs.get(url);
    return at === undefined ? undefined : this.clock.monoMs() - at;
  }

  /** A request to the region failed: no new traffic to it for its ejection time. */
  eject(region: string, kind: string, reason: string): void {
    const s = this.state(region);
    if (!s || this.closed) return;
    const next = ejectRegion(s, this.clock.nowMs(), this.config);
    if (next === s) return;
    this.setState(next);
    this.events.emit(EV.glbEject, region, reason, { kind, ejectionMs: next.ejectedUntilMs - this.clock.nowMs(), count: next.ejections });
    this.updateTargets(reason);
    this.schedule(region, 0);
  }

  available(): string[] {
    const now = this.clock.nowMs();
    return this.states.filter((s) => regionAvailable(s, now)).map((s) => s.region);
  }

  status(): Record<string, unknown>[] {
    const now = this.clock.nowMs();
    return this.states.map((s) => ({
      region: s.region,
      health: s.health,
      available: regionAvailable(s, now),
      ejectedForMs: Math.max(0, s.ejectedUntilMs - now),
      ejections: s.ejections,
      inFlight: this.outstanding.get(s.region) ?? 0,
      checkUrl: this.routes.check[s.region],
      servesHome: [...this.targets.entries()].filter(([, t]) => t === s.region).map(([h]) => h),
    }));
  }

  private state(region: string): RegionState | undefined {
    return this.states.find((s) => s.region === region);
  }

  private setState(next: RegionState): void {
    this.states = this.states.map((s) => (s.region === next.region ? next : s));
  }

  private schedule(region: string, delayMs: number): void {
    if (this.closed) return;
    this.timers.get(region)?.cancel();
    this.timers.set(region, this.clock.setTimer(delayMs, () => void this.check(region)));
  }

  /**
   * One active check of a region, then the next scheduled. (A plain promise chain rather than an
   * async function: the result is applied one microtask turn after the check resolves, as an
   * `await` would, without an async frame per check — the GLB checks every region five times a
   * second.)
   */
  private check(region: string): Promise<void> {
    const url = this.routes.check[region]!;
    let pending: ReturnType<RegionCheck>;
    try {
      pending = this.checkRegion ? this.checkRegion(url) : this.probe(url);
    } catch (err) {
      return Promise.reject(err as Error);
    }
    return pending.then((result) => this.applyCheck(region, result));
  }

  private applyCheck(region: string, result: Awaited<ReturnType<RegionCheck>>): void {
    if (this.closed) return;
    const s = this.state(region)!;
    // a healthy region's passing check changes nothing (the common case): reschedule only
    if (steadyCheck(s, result.ok, this.config)) return this.schedule(region, this.config.checkIntervalMs);
    const { state, transition } = observeCheck(s, result.ok, this.config, result.immediate);
    let next = state;
    if (next.ejectedUntilMs > 0 && this.clock.nowMs() >= next.ejectedUntilMs) {
      next = { ...next, ejectedUntilMs: 0 };
      if (next.health === 'healthy') this.events.emit(EV.glbReadmit, region, 'ejection time over and health checks pass', { count: next.ejections });
    }
    this.setState(next);
    if (transition) {
      this.events.emit(transition.to === 'healthy' ? EV.glbRegionHealthy : EV.glbRegionUnhealthy, region, result.reason, { from: transition.from, to: transition.to });
    }
    if (transition || next !== state) this.updateTargets(result.reason);
    this.schedule(region, this.config.checkIntervalMs);
  }

  /** Emits failover / failback / no-region events for every home region whose first choice changed. */
  private updateTargets(reason: string | undefined): void {
    const next = preferredTargets(this.states, this.clock.nowMs());
    // Until every region has been checked once, first choices are not news.
    if (this.states.some((s) => s.health === 'unknown')) return;
    for (const [home, to] of next) {
      const from = this.targets.get(home);
      if (from === to) continue;
      if (to === undefined) this.events.emit(EV.glbNoRegion, home, reason, { from });
      else if (to === home) this.events.emit(EV.glbFailback, home, reason, { from, to });
      else this.events.emit(EV.glbFailover, home, reason, { from, to });
    }
    this.targets = next;
  }

  private async probe(baseUrl: string): Promise<{ ok: boolean; immediate?: boolean; reason: string }> {
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.config.checkTimeoutMs, () => controller.abort(new Error('check timeout')));
    const origin = new URL(baseUrl).origin;
    let ok = false;
    try {
      // One kept-alive connection per region between checks, dropped after any failed check (a
      // pooled one may sit on a link that was black-holed: the next check connects afresh).
      const res = await request(`${baseUrl}/health`, { signal: controller.signal, headers: { 'x-halab-probe': 'glb' }, dispatcher: this.checkConnections.pool(origin) });
      const body = await res.body.text();
      ok = res.statusCode === 200;
      return ok ? { ok: true, reason: 'health check ok' } : { ok: false, reason: `health ${res.statusCode}: ${body.slice(0, 120)}` };
    } catch (err) {
      if (controller.signal.aborted) return { ok: false, reason: `no answer to the health check within ${this.config.checkTimeoutMs}ms` };
      const code = (err as { code?: string }).code ?? '';
      return { ok: false, immediate: code === 'ECONNREFUSED', reason: `health check failed: ${code || (err as Error).message}` };
    } finally {
      timer.cancel();
      if (!ok) this.checkConnections.drop(origin);
    }
  }
}
