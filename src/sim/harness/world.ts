// The simulated world under the harness: replica and gateway processes, their agents, probes and
// the clients' requests, as in-memory edges of the real classes (ControlPlane's prober and
// drainer, the chaos engine's Effects, the upstream pool's re-admission check, the GLB's region
// check). Every delay is a VirtualClock timer and every random draw comes from the seed's Rng,
// so a world is a pure function of its seed. The world is also the ground truth the invariants
// compare the real code's decisions against.
import type { Clock } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import type { Topology } from '../../config/topology.js';
import type { HealthPolicyConfig } from '../../policy/health.js';
import type { LabState, ProcessEntry } from '../../process/lab-state.js';
import type { Effects } from '../../chaos/injectors/effects.js';
import type { ControlPlane, ProbeFn } from '../../controlplane/fleet/control-plane.js';
import type { Drainer, DrainTarget } from '../../controlplane/failover/cluster-failover.js';
import { ERROR_MIN_REQUESTS, errorRatioSignal, type ProbeResult, type ProbeTarget, type SignalResult } from '../../controlplane/health/prober.js';
import type { RegionCheck } from '../../gateway/global/regions.js';
import type { Upstream } from '../../gateway/regional/upstream-pool.js';
import type { CircuitProbes } from '../../gateway/regional/circuits.js';
import type { FailureKind } from '../../policy/retry.js';
import type { DeployAgent, DeployDeps } from '../../controlplane/deploy/executor.js';

/** Timings of the simulated processes, ms. */
export interface WorldTimings {
  /** A killed process's heartbeat stream ends this long after the kill. */
  readonly heartbeatEofMs: number;
  /** The agent's heartbeat interval (the control plane's default). */
  readonly heartbeatMs: number;
  /** A (re)started process registers / listens this long after its start. */
  readonly processStartMs: number;
  /** A replica's model loads this long after the process started (the topology's modelLoadMs). */
  readonly modelLoadMs: number;
  /** Longest a drain of a healthy replica's in-flight requests takes. */
  readonly drainMaxMs: number;
}

export const DEFAULT_WORLD_TIMINGS: Omit<WorldTimings, 'modelLoadMs'> = Object.freeze({ heartbeatEofMs: 2, heartbeatMs: 500, processStartMs: 300, drainMaxMs: 400 });

/** Agent faults the simulated replica honours (what the agent injector sets over InjectFault). */
type AgentFault = { readonly kind: string; readonly factor: number; readonly probability: number };

export interface SimReplica {
  readonly id: string;
  readonly region: string;
  readonly clusterKey: string;
  readonly address: string;
  readonly httpUrl: string;
  pid: number;
  alive: boolean;
  /** When the process last died or started to hang (virtual ms); undefined while it answers. */
  deadSinceMs: number | undefined;
  loadedAtMs: number;
  /** The model version and behaviour it serves, and those a restart starts it on (a deployment pins them). */
  version: string;
  behaviour: string;
  pinned: { version: string; behaviour: string };
  readonly faults: Map<string, AgentFault>;
  requestsTotal: number;
  errorsTotal: number;
}

export interface SimGateway {
  readonly region: string;
  pid: number;
  alive: boolean;
}

export type Answer = { readonly ok: true; readonly wrong: boolean } | { readonly ok: false; readonly kind: FailureKind; readonly reason: string };

const OK: SignalResult = Object.freeze({ ok: true });
const SLOW_FACTOR_FAILS = 3;
/** The gateway /health answers (one settled promise each: the GLB checks every gateway five times a second). */
const CHECK_OK: ReturnType<RegionCheck> = Promise.resolve(Object.freeze({ ok: true, reason: 'health check ok' }));
const CHECK_NO_UPSTREAMS: ReturnType<RegionCheck> = Promise.resolve(Object.freeze({ ok: false, reason: 'health 503: no-upstreams' }));
const CHECK_REFUSED: ReturnType<RegionCheck> = Promise.resolve(Object.freeze({ ok: false, immediate: true, reason: 'health check failed: ECONNREFUSED' }));
/** How a bad model version (a deployment's `behaviour`) misbehaves. */
const BAD_MODEL_ERROR_RATE = 0.5;
const BAD_MODEL_SLOWDOWN = 5;

export class SimWorld {
  readonly replicas = new Map<string, SimReplica>();
  readonly gateways = new Map<string, SimGateway>();
  private readonly byPid = new Map<number, { kind: 'replica' | 'gateway'; id: string }>();
  private readonly byAddress = new Map<string, SimReplica>();
  private nextPid = 1000;
  /** Heartbeats due at each instant (see heartbeat()). */
  private readonly beats = new Map<number, { r: SimReplica; pid: number }[]>();
  private cp: ControlPlane | undefined;
  readonly labState: LabState;
  /**
   * Counts calls into (and completions of) the edges whose callers run long promise chains: the
   * chaos effects, drains, process starts. The harness settles the event loop fully only when it
   * moved; probes and checks resolve within a few microtask turns.
   */
  edgeCalls = 0;
  /** Bumped on every change of the ground truth the invariants read (so they run only then). */
  version = 0;
  /** Gateway availability as its /health reports it (set by the harness: its pool's available()). */
  gatewayAvailable: (region: string) => number = () => 0;
  /** The lab prober's error-signal settings (errorRatioSignal). */
  private readonly errorSignalConfig: { readonly errorRatioMax: number; readonly errorMinRequests: number };

  constructor(
    readonly topology: Topology,
    private readonly clock: Clock,
    private readonly rng: Rng,
    private readonly policy: HealthPolicyConfig,
    readonly timings: WorldTimings,
  ) {
    this.errorSignalConfig = { errorRatioMax: policy.errorRatioMax, errorMinRequests: ERROR_MIN_REQUESTS };
    for (const r of topology.replicas) {
      const rep: SimReplica = {
        id: r.id,
        region: r.region,
        clusterKey: `${r.region}/${r.cluster}`,
        address: `sim-agent:${r.id}`,
        httpUrl: `sim-http://${r.id}`,
        pid: 0,
        alive: false,
        deadSinceMs: 0,
        loadedAtMs: Infinity,
        version: topology.model.version,
        behaviour: 'ok',
        pinned: { version: topology.model.version, behaviour: 'ok' },
        faults: new Map(),
        requestsTotal: 0,
        errorsTotal: 0,
      };
      this.replicas.set(r.id, rep);
      this.byAddress.set(rep.address, rep);
    }
    for (const region of topology.regions) this.gateways.set(region.name, { region: region.name, pid: 0, alive: false });
    this.labState = { labDir: '/sim', topologyFile: topology.file, startedAtMs: 0, ownerPid: 0, processes: [] };
  }

  /** Connects the world to the control plane it registers with, and starts every process. */
  start(cp: ControlPlane): void {
    this.cp = cp;
    for (const g of this.gateways.values()) void this.startGateway(g);
    for (const r of this.replicas.values()) void this.startReplica(r);
  }

  /** Whether a replica answers requests now (alive, loaded, not hung). */
  answers(r: SimReplica): boolean {
    return r.alive && r.deadSinceMs === undefined && this.clock.nowMs() >= r.loadedAtMs;
  }

  /** Whether the replica would pass every health signal (what a healthy standby means in truth). */
  healthyTruth(r: SimReplica): boolean {
    if (!this.answers(r)) return false;
    for (const f of r.faults.values()) if (f.kind !== 'gpu.thermal') return false;
    return true;
  }

  private newPid(kind: 'replica' | 'gateway', id: string): number {
    const pid = this.nextPid++;
    this.byPid.set(pid, { kind, id });
    return pid;
  }

  private setProcess(entry: ProcessEntry): void {
    const i = this.labState.processes.findIndex((p) => p.name === entry.name);
    if (i >= 0) this.labState.processes[i] = entry;
    else this.labState.processes.push(entry);
  }

  private startGateway(g: SimGateway): Promise<void> {
    return new Promise((resolve) => {
      this.clock.setTimer(this.timings.processStartMs, () => {
        this.edgeCalls += 1;
        this.version += 1;
        g.pid = this.newPid('gateway', g.region);
        g.alive = true;
        this.setProcess({ name: `gateway/${g.region}`, kind: 'gateway', pid: g.pid, subject: g.region, url: `sim-http://gateway/${g.region}`, args: [] });
        resolve();
      });
    });
  }

  private startReplica(r: SimReplica): Promise<void> {
    const startedAt = this.clock.nowMs();
    return new Promise((resolve) => {
      this.clock.setTimer(this.timings.processStartMs, () => {
        this.edgeCalls += 1;
        this.version += 1;
        this.clock.setTimer(this.timings.modelLoadMs - this.timings.processStartMs, () => (this.version += 1));
        r.pid = this.newPid('replica', r.id);
        r.alive = true;
        r.deadSinceMs = undefined;
        r.faults.clear();
        r.loadedAtMs = startedAt + this.timings.modelLoadMs;
        r.version = r.pinned.version;
        r.behaviour = r.pinned.behaviour;
        if (r.behaviour === 'crash-on-load') this.crashOnLoad(r);
        this.setProcess({ name: `replica/${r.id}`, kind: 'replica', pid: r.pid, subject: r.id, url: r.httpUrl, address: r.address, args: [] });
        this.cp?.register({ replicaId: r.id, httpUrl: r.httpUrl, agentAddress: r.address, pid: r.pid, modelVersion: r.version });
        this.heartbeat(r, r.pid);
        resolve();
      });
    });
  }

  /** A model that takes its process down as it loads. */
  private crashOnLoad(r: SimReplica): void {
    const pid = r.pid;
    this.clock.setTimer(Math.max(1, r.loadedAtMs - this.clock.nowMs()), () => {
      if (r.pid === pid) this.kill(pid);
    });
  }

  /**
   * The agent's heartbeat stream: a beat every interval while the process lives. Beats due at the
   * same instant share one timer (replicas started together beat together), in the order they
   * were scheduled; each still reaches the control plane as its own call.
   */
  private heartbeat(r: SimReplica, pid: number): void {
    const atMs = this.clock.nowMs() + this.timings.heartbeatMs;
    const due = this.beats.get(atMs);
    if (due) {
      due.push({ r, pid });
      return;
    }
    const beats = [{ r, pid }];
    this.beats.set(atMs, beats);
    this.clock.setTimer(this.timings.heartbeatMs, () => {
      this.beats.delete(atMs);
      for (const b of beats) {
        if (!b.r.alive || b.r.pid !== b.pid || !this.cp) continue;
        this.cp.heartbeat(b.r.id);
        this.heartbeat(b.r, b.pid);
      }
    });
  }

  private kill(pid: number): void {
    this.edgeCalls += 1;
    this.version += 1;
    const p = this.byPid.get(pid);
    if (!p) return;
    if (p.kind === 'gateway') {
      const g = this.gateways.get(p.id)!;
      if (g.pid === pid) g.alive = false;
      return;
    }
    const r = this.replicas.get(p.id)!;
    if (r.pid !== pid || !r.alive) return;
    r.alive = false;
    r.deadSinceMs ??= this.clock.nowMs();
    r.faults.clear();
    this.clock.setTimer(this.timings.heartbeatEofMs, () => this.cp?.disconnected(r.id, 'heartbeat stream ended: process exited'));
  }

  private async restart(name: string): Promise<unknown> {
    this.edgeCalls += 1;
    const [kind, ...rest] = name.split('/');
    const id = rest.join('/');
    if (kind === 'gateway') {
      const g = this.gateways.get(id);
      if (!g) throw new Error(`no process ${name} in the simulated lab`);
      if (!g.alive) await this.startGateway(g);
      return g;
    }
    const r = this.replicas.get(id);
    if (kind !== 'replica' || !r) throw new Error(`the simulator does not restart ${name}`);
    if (!r.alive) await this.startReplica(r);
    return r;
  }

  private agent(address: string): SimReplica {
    this.edgeCalls += 1;
    this.version += 1;
    const r = this.byAddress.get(address);
    if (!r || !r.alive) throw new Error(`agent at ${address} unreachable: 14 UNAVAILABLE: connection refused`);
    return r;
  }

  private setHung(r: SimReplica): void {
    const hung = [...r.faults.values()].some((f) => f.kind === 'replica.hang');
    if (hung) r.deadSinceMs ??= this.clock.nowMs();
    else if (r.alive) r.deadSinceMs = undefined;
  }

  /** The chaos engine's side effects on the simulated lab (real injectors, simulated processes). */
  effects(): Effects {
    const unsupported = (what: string) => (): never => {
      throw new Error(`${what} is not simulated`);
    };
    return {
      labState: () => this.labState,
      kill: (pid) => this.kill(pid),
      isAlive: (pid) => {
        const p = this.byPid.get(pid);
        if (!p) return false;
        return p.kind === 'gateway' ? this.gateways.get(p.id)!.pid === pid && this.gateways.get(p.id)!.alive : this.replicas.get(p.id)!.pid === pid && this.replicas.get(p.id)!.alive;
      },
      restart: (_paths, name) => this.restart(name),
      agentInject: async (address, spec) => {
        const r = this.agent(address);
        r.faults.set(spec.faultId ?? '', { kind: spec.kind ?? '', factor: Number(spec.factor ?? 0), probability: Number(spec.probability ?? 0) });
        this.setHung(r);
        return {};
      },
      agentClear: async (address, faultId) => {
        const r = this.agent(address);
        r.faults.delete(faultId);
        this.setHung(r);
        return {};
      },
      setProxyEnabled: unsupported('link proxies'),
      addLatencyToxic: unsupported('link proxies'),
      removeToxic: unsupported('link proxies'),
      firewallUnavailable: () => 'the simulator has no firewall',
      addRules: unsupported('iptables'),
      deleteRules: unsupported('iptables'),
      runCommand: unsupported('external commands'),
      controlPlaneLeader: unsupported('control-plane HA'),
      wipeControlPlane: unsupported('control-plane state'),
      wipeRegionState: unsupported('region state'),
      restoreControlPlane: unsupported('control-plane restore'),
    };
  }

  /** The control plane's active probe of one replica. */
  prober(): ProbeFn {
    return {
      probe: (target) => {
        const r = this.replicas.get(target.id);
        if (!r || !r.alive) return Promise.resolve(this.failedProbe('connection refused', true));
        if (r.deadSinceMs !== undefined) {
          // accepted and silent: the probe times out
          return new Promise((resolve) => this.clock.setTimer(this.policy.probeTimeoutMs, () => resolve(this.hungProbe(r))));
        }
        return Promise.resolve(this.probeOf(r, target));
      },
    };
  }

  private failedProbe(reason: string, immediate: boolean): ProbeResult {
    const f: SignalResult = { ok: false, reason, immediate };
    return { gpu: f, model: f, inference: f, latency: f, errors: f };
  }

  private hungProbe(r: SimReplica): ProbeResult {
    const timeout: SignalResult = { ok: false, reason: `no answer within ${this.policy.probeTimeoutMs}ms` };
    return { gpu: OK, model: OK, inference: timeout, latency: timeout, errors: OK, modelVersion: r.version, counters: { requestsTotal: r.requestsTotal, errorsTotal: r.errorsTotal } };
  }

  /**
   * The agent's counters judged as the real prober does (errorRatioSignal): a replica fails its
   * errors signal only on the requests it served since its last probe, past ERROR_MIN_REQUESTS of
   * them — an erring version without traffic passes it.
   */
  private errorsOf(r: SimReplica, target: ProbeTarget): SignalResult {
    return errorRatioSignal(r.requestsTotal - target.lastRequestsTotal, r.errorsTotal - target.lastErrorsTotal, this.errorSignalConfig);
  }

  private probeOf(r: SimReplica, target: ProbeTarget): ProbeResult {
    const counters = { requestsTotal: r.requestsTotal, errorsTotal: r.errorsTotal };
    // the common case (a loaded, unfaulted replica on a good version): every signal but errors passes
    if (r.faults.size === 0 && r.behaviour === 'ok' && this.clock.nowMs() >= r.loadedAtMs) {
      return { gpu: OK, model: OK, inference: OK, latency: OK, errors: this.errorsOf(r, target), modelVersion: r.version, draining: false, counters };
    }
    const kinds = new Map([...r.faults.values()].map((f) => [f.kind, f]));
    const loading = this.clock.nowMs() < r.loadedAtMs;
    const slow = kinds.get('replica.slow')?.factor ?? (r.behaviour === 'slow' ? BAD_MODEL_SLOWDOWN : 1);
    const corrupt = kinds.has('model.corrupt') || r.behaviour === 'corrupt';
    return {
      gpu: kinds.has('gpu.xid') ? { ok: false, reason: 'GPU Xid 79: fallen off the bus', immediate: true } : OK,
      model: loading ? { ok: false, reason: 'model loading' } : OK,
      inference: loading ? { ok: false, reason: 'model loading' } : corrupt ? { ok: false, reason: 'wrong answer to the known-answer probe', immediate: true } : OK,
      latency: slow >= SLOW_FACTOR_FAILS ? { ok: false, reason: `probe took ${slow}x its usual time` } : OK,
      errors: this.errorsOf(r, target),
      modelVersion: r.version,
      draining: false,
      counters,
    };
  }

  /** Drains over the simulated agents: bounded, a dead agent fails, a hung engine keeps its requests. */
  drainer(): Drainer {
    const one = (t: DrainTarget, timeoutMs: number): Promise<number> => {
      this.edgeCalls += 1;
      const r = this.byAddress.get(t.agentAddress);
      if (!r || !r.alive) return Promise.reject(new Error(`drain at ${t.agentAddress} failed: 14 UNAVAILABLE`));
      const hung = r.deadSinceMs !== undefined;
      const ms = hung ? timeoutMs : Math.min(timeoutMs, Math.floor(this.rng.next() * this.timings.drainMaxMs));
      return new Promise((resolve) =>
        this.clock.setTimer(ms, () => {
          this.edgeCalls += 1;
          resolve(hung ? 1 : 0);
        }),
      );
    };
    const each = async <T>(targets: readonly DrainTarget[], call: (t: DrainTarget) => Promise<T>) => {
      const live = targets.filter((t) => t.connected && t.agentAddress);
      const settled = await Promise.allSettled(live.map(call));
      const replies: T[] = [];
      const failed: { replica: string; reason: string }[] = [];
      settled.forEach((s, i) => (s.status === 'fulfilled' ? replies.push(s.value) : failed.push({ replica: live[i]!.id, reason: (s.reason as Error).message })));
      return { replies, failed };
    };
    return {
      drain: async (targets, timeoutMs) => {
        this.edgeCalls += 1;
        const started = this.clock.monoMs();
        const { replies, failed } = await each(targets, (t) => one(t, timeoutMs));
        return { inFlight: replies.reduce((n, x) => n + x, 0), waitedMs: this.clock.monoMs() - started, failed };
      },
      undrain: async (targets) =>
        (await each(targets, async (t) => {
          this.agent(t.agentAddress);
        })).failed,
    };
  }

  /** A gateway's checks of an open circuit: the cheap check and the completion probe both ask whether the replica answers. */
  circuitProbes(): CircuitProbes {
    const answers = (u: Upstream): boolean => {
      const r = this.replicas.get(u.replicaId);
      return !!r && this.answers(r);
    };
    return {
      cheapCheck: (u) => Promise.resolve(answers(u)),
      completion: (u) => Promise.resolve(answers(u) ? { ok: true, reason: 'answered' } : { ok: false, reason: 'no answer' }),
    };
  }

  /** The GLB's active check of a regional gateway (GET /health: 200 while it has an available upstream). */
  regionCheck(regionOfUrl: (url: string) => string): RegionCheck {
    return (url) => {
      const g = this.gateways.get(regionOfUrl(url));
      if (!g || !g.alive) return CHECK_REFUSED;
      return this.gatewayAvailable(g.region) > 0 ? CHECK_OK : CHECK_NO_UPSTREAMS;
    };
  }

  /** What one request attempt on a replica gets. */
  answer(replicaId: string): Answer {
    const r = this.replicas.get(replicaId);
    if (!r || !r.alive) return { ok: false, kind: 'connect', reason: 'connection refused' };
    r.requestsTotal += 1;
    const fail = (kind: FailureKind, reason: string): Answer => {
      r.errorsTotal += 1;
      return { ok: false, kind, reason };
    };
    if (r.deadSinceMs !== undefined) return fail('timeout', 'no first token in time');
    if (this.clock.nowMs() < r.loadedAtMs) return fail('status', '503 model loading');
    let wrong = false;
    for (const f of r.faults.values()) {
      if (f.kind === 'gpu.xid') return fail('status', '500 CUDA error: Xid 79');
      if (f.kind === 'replica.error-rate' && this.rng.next() < f.probability) return fail('status', '500 injected error');
      if (f.kind === 'replica.stream-cut') return fail('cut', 'stream cut mid-answer');
      if (f.kind === 'model.corrupt') wrong = true;
    }
    if (r.behaviour === 'error-rate' && this.rng.next() < BAD_MODEL_ERROR_RATE) return fail('status', '500 bad model version');
    return { ok: true, wrong: wrong || r.behaviour === 'corrupt' };
  }

  /** The deployment's agent calls: bounded drains, model loads that take the model's load time. */
  deployAgent(): DeployAgent {
    const drain: DeployAgent['drain'] = (address, timeoutMs) => {
      const r = this.agent(address);
      const hung = r.deadSinceMs !== undefined;
      const ms = hung ? timeoutMs : Math.min(timeoutMs, Math.floor(this.rng.next() * this.timings.drainMaxMs));
      return new Promise((resolve) =>
        this.clock.setTimer(ms, () => {
          this.edgeCalls += 1;
          resolve({ inFlight: hung ? 1 : 0, drained: !hung, waitedMs: ms });
        }),
      );
    };
    const loadModel: DeployAgent['loadModel'] = (address, version, behaviour) => {
      const r = this.agent(address);
      const pid = r.pid;
      r.loadedAtMs = this.clock.nowMs() + this.timings.modelLoadMs;
      return new Promise((resolve, reject) =>
        this.clock.setTimer(this.timings.modelLoadMs, () => {
          this.edgeCalls += 1;
          this.version += 1;
          if (r.pid !== pid || !r.alive) return reject(new Error(`load at ${address} failed: 14 UNAVAILABLE: the process exited`));
          if (behaviour === 'crash-on-load') {
            this.kill(pid);
            return reject(new Error(`load at ${address} failed: 14 UNAVAILABLE: the process exited`));
          }
          r.version = version;
          r.behaviour = behaviour;
          resolve({ loaded: true, modelVersion: version, loadMs: this.timings.modelLoadMs, error: '' });
        }),
      );
    };
    return { drain, undrain: async (address) => (this.agent(address), { inFlight: 0, drained: false, waitedMs: 0 }), loadModel };
  }

  /** The deployment's process control over simulated replicas. */
  deployProcesses(): DeployDeps['processes'] {
    return {
      spawn: () => {
        throw new Error('the simulator does not start replicas outside the topology');
      },
      restart: async (id, version, behaviour) => {
        const r = this.replicas.get(id);
        if (!r) throw new Error(`no replica ${id}`);
        r.pinned = { version, behaviour };
        if (r.alive) this.kill(r.pid);
        await this.startReplica(r);
        return r.pid;
      },
      pin: (id, version, behaviour) => {
        const r = this.replicas.get(id);
        if (r) r.pinned = { version, behaviour };
      },
      isGone: (id) => this.replicas.get(id)?.alive === false,
      stop: async (id) => {
        const r = this.replicas.get(id);
        if (r?.alive) this.kill(r.pid);
      },
    };
  }

  /** The deployment's own sampling client: checks a replica's answer against the version it should run. */
  deploySampler(): DeployDeps['sampler'] {
    return {
      sample: (httpUrl, version) => {
        const r = [...this.replicas.values()].find((x) => x.httpUrl === httpUrl);
        if (!r || !this.answers(r)) return Promise.resolve({ ok: false, correct: null });
        const a = this.answer(r.id);
        if (!a.ok) return Promise.resolve({ ok: false, correct: null });
        const slow = r.behaviour === 'slow' ? BAD_MODEL_SLOWDOWN : 1;
        return Promise.resolve({ ok: true, correct: !a.wrong && r.version === version, ttftMs: 80 * slow, itlMs: 15 * slow });
      },
    };
  }
}
