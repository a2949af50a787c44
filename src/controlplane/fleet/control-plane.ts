// The control plane's brain: schedules probes per replica on the Clock, feeds results through the
// health state machine, decides serving clusters, and publishes the routable topology. gRPC is in
// server.ts; this module has no sockets of its own beyond the injected prober.
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { Topology } from '../../config/topology.js';
import { initialSignals, observe, nextProbeDelayMs, steadyOk, unhealthyReason, withSignal, type HealthPolicyConfig, type SignalName } from '../../policy/health.js';
import { Registry, type ReplicaEntry } from '../health/registry.js';
import { ClusterFailover, agentDrainer, type Drainer, type FailoverStepFn } from '../failover/cluster-failover.js';
import { DEFAULT_FAILOVER_CONFIG, stepFailover, type FailoverConfig } from '../../policy/failover.js';
import type { ProbeResult, ProbeTarget, SignalResult } from '../health/prober.js';
import { ProbeBatches } from '../health/probe-batches.js';

export interface RoutableSnapshot {
  readonly version: number;
  readonly atMs: number;
  readonly replicas: readonly {
    readonly replicaId: string;
    readonly region: string;
    readonly cluster: string;
    readonly httpUrl: string;
    readonly modelVersion: string;
    readonly routable: boolean;
    readonly weight: number;
  }[];
}

export interface RegisterInfo {
  readonly replicaId: string;
  readonly httpUrl: string;
  readonly agentAddress: string;
  readonly pid: number;
  readonly modelVersion: string;
}

/** Stored state a control plane takes over (state-persistence.ts loads it). */
export interface AdoptedState {
  readonly replicas: ReadonlyMap<string, Partial<Omit<ReplicaEntry, 'id' | 'region' | 'cluster' | 'clusterKey'>>>;
  /** Serving and failed clusters; absent when the store holds none (a new one). */
  readonly clusters?: { readonly serving: readonly string[]; readonly failed: readonly string[] };
  readonly version: number;
  readonly snapshot?: RoutableSnapshot;
}

/** The signals every probe measures (liveness comes from the heartbeat stream unless a probe reports it). */
type ProbedSignal = 'gpu' | 'model' | 'inference' | 'latency' | 'errors';

export interface ProbeFn {
  probe(target: ProbeTarget): Promise<ProbeResult>;
}

export class ControlPlane {
  readonly registry: Registry;
  private readonly failover: ClusterFailover;
  private version = 0;
  private snapshot: RoutableSnapshot;
  private readonly watchers = new Set<(s: RoutableSnapshot) => void>();
  /** Each connected replica's next probe (the probes due at one instant share a timer). */
  private readonly probes: ProbeBatches<ReplicaEntry>;
  /** Replicas with a probe under way (true). Set to false, never deleted: a Set that gains and loses its few members every probe keeps reallocating its table. */
  private readonly probing = new Map<string, boolean>();
  private readonly registeredHooks = new Set<(entry: ReplicaEntry) => void>();
  private stopped = false;
  /** State persistence (state-store): called with a changed replica, or with none after a publish. */
  private persistHook: ((entry?: ReplicaEntry) => void) | undefined;
  /** Replicas adopted from stored state that have not yet re-registered, with their grace timers. */
  private readonly adoptedPending = new Map<string, TimerHandle>();

  constructor(
    topology: Topology,
    private readonly prober: ProbeFn,
    private readonly policy: HealthPolicyConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    failoverConfig: FailoverConfig = DEFAULT_FAILOVER_CONFIG,
    drainer: Drainer = agentDrainer(clock),
    failoverStep: FailoverStepFn = stepFailover,
  ) {
    this.registry = new Registry(topology);
    this.failover = new ClusterFailover(
      topology.clusters,
      failoverConfig,
      clock,
      events,
      drainer,
      (cluster) => [...this.registry.replicas.values()].filter((r) => r.clusterKey === cluster),
      () => this.recompute(),
      failoverStep,
    );
    this.snapshot = { version: 0, atMs: clock.nowMs(), replicas: [] };
    this.probes = new ProbeBatches(clock, (entry) => void this.runProbe(entry));
  }

  /** A replica announced itself; (re)start probing it. Unknown ids are refused. */
  register(info: RegisterInfo): boolean {
    const entry = this.registry.get(info.replicaId);
    if (!entry) return false;
    const firstTime = !entry.connected;
    // A (re)started process is a new unknown: the old process's health facts do not carry over, so
    // a replica still loading its model is not counted healthy (and failover does not flap on it).
    if (firstTime) this.registry.setSignals(entry, initialSignals());
    Object.assign(entry, { httpUrl: info.httpUrl, agentAddress: info.agentAddress, pid: info.pid, modelVersion: info.modelVersion, connected: true });
    if (firstTime) this.events.emit(EV.replicaRegistered, entry.id, undefined, { httpUrl: info.httpUrl, pid: info.pid, modelVersion: info.modelVersion });
    this.settleAdopted(entry.id);
    this.persistHook?.(entry);
    this.applySignal(entry, 'liveness', true, 'registered');
    this.scheduleProbe(entry, 0);
    for (const hook of this.registeredHooks) hook(entry);
    return true;
  }

  /**
   * An external endpoint from the topology: connected from the start (there is no agent and no
   * heartbeat stream); every signal, liveness included, comes from its HTTP probes.
   */
  registerExternal(replicaId: string, httpUrl: string, modelVersion = ''): boolean {
    const entry = this.registry.get(replicaId);
    if (!entry?.external) return false;
    Object.assign(entry, { httpUrl, modelVersion, connected: true });
    this.events.emit(EV.replicaRegistered, entry.id, 'external endpoint', { httpUrl, kind: entry.external.kind });
    this.scheduleProbe(entry, 0);
    return true;
  }

  /** Calls fn after every registration (deployments bring a restarted replica to its desired version). */
  onRegistered(fn: (entry: ReplicaEntry) => void): () => void {
    this.registeredHooks.add(fn);
    return () => this.registeredHooks.delete(fn);
  }

  /** A deployment takes a replica out of routing (held) or puts it back. */
  setHeld(replicaId: string, held: boolean): void {
    const entry = this.registry.get(replicaId);
    if (!entry || entry.held === held) return;
    entry.held = held;
    this.recompute();
  }

  /** Relative traffic weights for gateways; replicas not named get 1. Publishes the topology. */
  setWeights(weights: Readonly<Record<string, number>>): void {
    for (const entry of this.registry.replicas.values()) entry.weight = weights[entry.id] ?? 1;
    this.recompute(true);
  }

  /** Forgets a replica's health (after a model load): it must pass fresh probes to be healthy again. */
  resetHealth(replicaId: string): void {
    const entry = this.registry.get(replicaId);
    if (!entry) return;
    this.registry.setSignals(entry, initialSignals());
    this.recompute();
    if (entry.connected) this.scheduleProbe(entry, 0);
  }

  /** Adds a replica outside the topology file (blue-green's green set); it may then register. */
  addReplica(spec: { readonly id: string; readonly region: string; readonly cluster: string }): void {
    this.registry.add(spec);
  }

  /** Forgets a retired replica and republishes. */
  removeReplica(replicaId: string): void {
    const entry = this.registry.get(replicaId);
    if (entry) entry.connected = false; // stops its probe loop
    this.probes.cancel(replicaId);
    this.probing.delete(replicaId);
    if (this.registry.remove(replicaId)) this.recompute(true);
  }

  /** The heartbeat stream delivered a beat. */
  heartbeat(replicaId: string): void {
    const entry = this.registry.get(replicaId);
    if (entry && entry.connected && entry.signals.liveness.health !== 'healthy') this.applySignal(entry, 'liveness', true, 'heartbeat');
    if (this.adoptedPending.size > 0) this.settleAdopted(replicaId);
  }

  /** The heartbeat stream ended: the process or its connection is gone. Immediate. */
  disconnected(replicaId: string, reason: string): void {
    const entry = this.registry.get(replicaId);
    if (!entry || !entry.connected) return;
    entry.connected = false;
    this.settleAdopted(entry.id);
    this.events.emit(EV.replicaDisconnected, entry.id, reason);
    this.applySignal(entry, 'liveness', false, reason, true);
    this.recompute();
  }

  /** A gateway saw a replica fail: probe it now instead of at the next interval. */
  passiveHint(replicaId: string): void {
    const entry = this.registry.get(replicaId);
    if (entry?.connected) this.scheduleProbe(entry, 0);
  }

  current(): RoutableSnapshot {
    return this.snapshot;
  }

  watch(fn: (s: RoutableSnapshot) => void): () => void {
    this.watchers.add(fn);
    fn(this.snapshot);
    return () => this.watchers.delete(fn);
  }

  servingClusters(): ReadonlySet<string> {
    return this.failover.serving();
  }

  stop(): void {
    this.stopped = true;
    this.failover.stop();
    this.probes.clear();
    for (const t of this.adoptedPending.values()) t.cancel();
    this.adoptedPending.clear();
    this.watchers.clear();
  }

  private scheduleProbe(entry: ReplicaEntry, delayMs: number): void {
    if (this.stopped) return;
    this.probes.schedule(entry.id, entry, delayMs);
  }

  /**
   * One probe of a replica, then its next one scheduled. (A plain promise chain rather than an
   * async function: the same microtask turns — the result is applied one turn after the probe
   * resolves — without an async frame per probe, the control plane's most frequent call.) A probe
   * that throws or rejects still schedules the next one, and its error surfaces as the rejection
   * of the returned promise, as an async function's would.
   */
  private runProbe(entry: ReplicaEntry): Promise<void> | undefined {
    if (this.probing.get(entry.id) === true || !entry.connected || this.stopped) return undefined;
    this.probing.set(entry.id, true);
    let pending: Promise<ProbeResult>;
    try {
      pending = this.prober.probe(entry);
    } catch (err) {
      this.probeDone(entry);
      return Promise.reject(err as Error);
    }
    return pending.then(
      (result) => {
        try {
          this.applyProbe(entry, result);
        } finally {
          this.probeDone(entry);
        }
      },
      (err: unknown) => {
        this.probeDone(entry);
        throw err;
      },
    );
  }

  private applyProbe(entry: ReplicaEntry, result: ProbeResult): void {
    if (this.stopped || !entry.connected) return;
    if (result.counters) {
      entry.lastRequestsTotal = result.counters.requestsTotal;
      entry.lastErrorsTotal = result.counters.errorsTotal;
    }
    if (result.modelVersion) entry.modelVersion = result.modelVersion;
    const wasDraining = entry.draining;
    entry.draining = result.draining ?? entry.draining;
    if (result.unmeasured) for (const signal of result.unmeasured) entry.unmeasured.add(signal);
    if (result.liveness) this.applySignal(entry, 'liveness', result.liveness.ok, result.liveness.reason, result.liveness.immediate);
    // the probed signals, in this order, each read by name (a keyed read over results of
    // several shapes was the hottest line of the probe path)
    this.applyProbed(entry, 'gpu', result.gpu);
    this.applyProbed(entry, 'model', result.model);
    this.applyProbed(entry, 'inference', result.inference);
    this.applyProbed(entry, 'latency', result.latency);
    this.applyProbed(entry, 'errors', result.errors);
    if (wasDraining !== entry.draining) this.recompute();
  }

  private applyProbed(entry: ReplicaEntry, signal: ProbedSignal, r: SignalResult): void {
    if (entry.unmeasured.size > 0 && entry.unmeasured.has(signal)) return;
    this.applySignal(entry, signal, r.ok, r.reason, r.immediate);
  }

  private probeDone(entry: ReplicaEntry): void {
    this.probing.set(entry.id, false);
    if (entry.connected) this.scheduleProbe(entry, nextProbeDelayMs(entry.signals, this.policy, entry.unmeasured));
  }

  private applySignal(entry: ReplicaEntry, signal: SignalName, ok: boolean, reason?: string, immediate = false): void {
    // a healthy signal's success changes nothing (the common probe of a healthy fleet)
    if (steadyOk(entry.signals[signal], ok, this.policy, reason)) return;
    const { state, transition } = observe(entry.signals[signal], ok, this.policy, reason, immediate);
    const signals = withSignal(entry.signals, signal, state);
    // the replica's health is a function of its signals' healths: without a transition it stands
    const change = transition ? this.registry.setSignals(entry, signals) : void (entry.signals = signals);
    if (transition) this.events.emit(EV.healthSignal, entry.id, reason, { signal, from: transition.from, to: transition.to });
    if (transition) this.persistHook?.(entry);
    if (change?.to === 'unhealthy') this.events.emit(EV.healthUnhealthy, entry.id, unhealthyReason(entry.signals));
    if (change?.to === 'healthy') this.events.emit(EV.healthHealthy, entry.id, 'all signals healthy');
    if (change) this.recompute();
  }

  /** Recomputes serving clusters and routable replicas; publishes when anything changed. */
  private recompute(force = false): void {
    if (this.stopped) return;
    const { serving, changed: decided } = this.failover.step(this.registry.clusterHealth());
    const changed: { entry: ReplicaEntry; routable: boolean }[] = [];
    for (const entry of this.registry.replicas.values()) {
      const routable = entry.connected && entry.health === 'healthy' && !entry.draining && !entry.held && serving.has(entry.clusterKey);
      if (routable !== entry.routable) {
        entry.routable = routable;
        changed.push({ entry, routable });
      }
    }
    if (!force && changed.length === 0 && !decided) return;
    this.version += 1;
    for (const { entry, routable } of changed) {
      const why = routable ? 'healthy and serving' : !entry.connected ? 'disconnected' : entry.health !== 'healthy' ? unhealthyReason(entry.signals) ?? 'not healthy' : entry.draining ? 'draining' : entry.held ? 'held by a deployment' : 'cluster not serving';
      this.events.emit(routable ? EV.routingAdded : EV.routingRemoved, entry.id, why, { topologyVersion: this.version });
    }
    this.snapshot = {
      version: this.version,
      atMs: this.clock.nowMs(),
      replicas: [...this.registry.replicas.values()]
        .filter((r) => r.httpUrl)
        .map((r) => ({ replicaId: r.id, region: r.region, cluster: r.cluster, httpUrl: r.httpUrl, modelVersion: r.modelVersion, routable: r.routable, weight: r.weight })),
    };
    this.events.emit(EV.topologyPublished, `v${this.version}`, undefined, { routable: this.snapshot.replicas.filter((r) => r.routable).length });
    for (const { entry } of changed) this.persistHook?.(entry);
    this.persistHook?.();
    for (const w of this.watchers) w(this.snapshot);
  }

  /** Persists every change from now on through `hook` (see state-persistence.ts). */
  setPersistence(hook: (entry?: ReplicaEntry) => void): void {
    this.persistHook = hook;
  }

  /** What a new leader or a restored control plane needs to continue: serving clusters and version. */
  servingState(): { readonly serving: readonly string[]; readonly failed: readonly string[]; readonly version: number } {
    return { serving: [...this.failover.serving()], failed: [...this.failover.failed()], version: this.version };
  }

  /**
   * Takes over stored state (after a leader change or a restore): replica records, serving
   * clusters and the last published topology, which is published again at once so gateways keep
   * routing. Adopted replicas are probed now; one that has not re-registered within `graceMs` is
   * marked disconnected.
   */
  adopt(state: AdoptedState, graceMs: number): void {
    for (const [id, rec] of state.replicas) {
      const entry = this.registry.get(id);
      if (!entry) continue;
      Object.assign(entry, rec);
      if (entry.connected && entry.agentAddress) {
        this.adoptedPending.get(id)?.cancel();
        this.adoptedPending.set(id, this.clock.setTimer(graceMs, () => {
          this.adoptedPending.delete(id);
          this.disconnected(id, `did not re-register within ${graceMs}ms of the control plane taking over`);
        }));
        this.scheduleProbe(entry, 0);
      }
    }
    // without stored cluster state (a new store) the clusters keep their roles from the topology
    if (state.clusters) this.failover.adopt(state.clusters.serving, state.clusters.failed);
    this.version = Math.max(this.version, state.version);
    if (state.snapshot) this.snapshot = { ...state.snapshot, version: this.version, atMs: this.clock.nowMs() };
    this.recompute();
    for (const w of this.watchers) w(this.snapshot);
  }

  private settleAdopted(id: string): void {
    const t = this.adoptedPending.get(id);
    if (!t) return;
    t.cancel();
    this.adoptedPending.delete(id);
  }
}
