// The I/O edge of rollout policies: performs one DeployAction against the running fleet (the
// control plane's registry and routing, replica agents over gRPC, replica processes, the
// deployment's own sampling client) and returns its result. Every note becomes an event.
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { DeployStepType, StepDataArgs } from '../../record/event-types.js';
import { emitDeployStep, type EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { Topology } from '../../config/topology.js';
import { agentDrain, agentLoadModel, agentUndrain } from '../../replica/agent-client.js';
import type { ControlPlane } from '../fleet/control-plane.js';
import type { DeployAction, DeployResult, GroupSamples, Sample } from '../../policy/rollout-actions.js';
import type { DeployConfig } from '../../policy/rollout-config.js';
import type { DeployProcesses } from './processes.js';
import type { DeploySampler } from './sampler.js';
import type { ReplicaEntry } from '../health/registry.js';

const POLL_MS = 50;
/**
 * Green processes start, and retired ones stop, this far apart: every stand-in shares one machine's
 * CPU, and a burst of process start-ups would slow the replicas serving clients (on real GPUs the
 * new set does not share their compute).
 */
const SPAWN_SPACING_MS = 600;
const STOP_SPACING_MS = 200;
/** Drains past the bound go in steps of at least this long. */
const DRAIN_EXTENSION_MIN_MS = 250;

/** The replica agent calls a deployment makes (gRPC by default; in memory in the virtual-time harness). */
export interface DeployAgent {
  readonly drain: typeof agentDrain;
  readonly undrain: typeof agentUndrain;
  readonly loadModel: typeof agentLoadModel;
}

export const GRPC_DEPLOY_AGENT: DeployAgent = Object.freeze({ drain: agentDrain, undrain: agentUndrain, loadModel: agentLoadModel });

/** What deployments act on: the control plane, its processes and the deployment's own sampler. */
export interface DeployDeps {
  readonly cp: ControlPlane;
  readonly topology: Topology;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly processes: Pick<DeployProcesses, 'spawn' | 'restart' | 'pin' | 'isGone' | 'stop'>;
  readonly sampler: Pick<DeploySampler, 'sample'>;
  /** Absent: the agents over gRPC. */
  readonly agent?: DeployAgent;
}

export interface ExecutorContext extends DeployDeps {
  readonly signal: AbortSignal;
  /** Called for every note (the deployment's step list). */
  readonly onNote: (type: string, subject: string, reason: string | undefined, data: Readonly<Record<string, unknown>>) => void;
  /** Desired versions: a replica that registers on another version is brought to its desired one. */
  readonly desire: (id: string, version: string, behaviour: string) => void;
}

export class DeployExecutor {
  constructor(
    private readonly ctx: ExecutorContext,
    private readonly deployId: string,
    private readonly cfg: DeployConfig,
  ) {}

  private get agent(): DeployAgent {
    return this.ctx.agent ?? GRPC_DEPLOY_AGENT;
  }

  private entry(id: string): ReplicaEntry | undefined {
    return this.ctx.cp.registry.get(id);
  }

  private sleep(ms: number): Promise<void> {
    return this.ctx.clock.sleep(ms, this.ctx.signal);
  }

  private emit<T extends DeployStepType>(type: T, subject: string, reason?: string, ...data: StepDataArgs<T>): void {
    const event = emitDeployStep(this.ctx.events, type, subject, reason, this.deployId, ...data);
    this.ctx.onNote(type, subject, reason, event.data ?? {});
  }

  async perform(action: DeployAction): Promise<DeployResult> {
    const { cp, clock } = this.ctx;
    switch (action.kind) {
      case 'note':
        this.emit(action.type, action.subject ?? this.deployId, action.reason, action.data);
        return { kind: 'done' };
      case 'hold':
        cp.setHeld(action.replicaId, action.held);
        return { kind: 'done' };
      case 'wait':
        await this.sleep(action.ms);
        return { kind: 'done' };
      case 'inspect': {
        const e = this.entry(action.replicaId);
        return { kind: 'inspected', connected: e?.connected ?? false, modelVersion: e?.modelVersion ?? '' };
      }
      case 'drain':
        return this.drain(action.replicaId, action.timeoutMs, action.fromVersion);
      case 'load':
        return this.load(action.replicaId, action.version, action.behaviour);
      case 'restore':
        return this.restore(action.replicaId, action.version);
      case 'verify':
        return this.verify(action.replicaIds, action.version, action.timeoutMs);
      case 'watch':
        return this.watch(action.replicaIds, action.ms);
      case 'weights':
        cp.setWeights(action.weights);
        this.emit('deploy.weights', this.deployId, undefined, { weights: action.weights });
        return { kind: 'done' };
      case 'analyze':
        return this.analyze(action.canary, action.canaryVersion, action.baseline, action.baselineVersion, action.ms);
      case 'spawn':
        for (const [i, r] of action.replicas.entries()) {
          if (i > 0) await this.sleep(SPAWN_SPACING_MS);
          const like = this.entry(r.like);
          const region = this.ctx.topology.regions.find((x) => x.name === like?.region);
          if (!like || !region) continue;
          cp.addReplica({ id: r.id, region: like.region, cluster: like.cluster });
          try {
            // a host process at once; a container (container: true) once it has started
            const started = this.ctx.processes.spawn({ id: r.id, host: region.host, version: action.version, behaviour: action.behaviour });
            const pid = typeof started === 'number' ? started : await started;
            cp.resetHealth(r.id);
            this.emit('deploy.replica-spawned', r.id, `beside ${r.like}`, { pid, version: action.version });
          } catch (err) {
            this.emit('deploy.replica-spawn-failed', r.id, errorMessage(err));
          }
        }
        return { kind: 'done' };
      case 'retire': {
        for (const id of action.replicaIds) cp.setHeld(id, true);
        await this.sleep(this.cfg.settleMs);
        // the whole set of a version retires together, so no replica could resume what it still
        // runs: keep draining past the bound, up to the per-replica bound, before stopping
        const drainFailed = new Set<string>();
        await Promise.all(
          action.replicaIds.map(async (id) => {
            const e = this.entry(id);
            if (!e?.connected) return;
            let waited = 0;
            for (let round = 0; ; round++) {
              const ms = round === 0 ? action.drainMs : Math.max(action.drainMs, DRAIN_EXTENSION_MIN_MS);
              let r;
              try {
                r = await this.agent.drain(e.agentAddress, ms, clock);
              } catch (err) {
                drainFailed.add(id);
                this.emit(EV.deployDrainFailed, id, errorMessage(err), { inFlight: null, drained: false });
                break;
              }
              waited += ms;
              if (r.drained || waited >= this.cfg.verifyTimeoutMs) break;
              if (round === 0) this.emit('deploy.drain-extended', id, `${r.inFlight} request(s) still running and no replica of their version stays to resume them`, { inFlight: r.inFlight });
            }
          }),
        );
        for (const [i, id] of action.replicaIds.entries()) {
          if (i > 0) await this.sleep(STOP_SPACING_MS);
          await this.ctx.processes.stop(id);
          cp.removeReplica(id);
          this.emit('deploy.replica-retired', id, drainFailed.has(id) ? 'stopped and removed; its drain failed' : 'drained, stopped and removed');
        }
        return { kind: 'done' };
      }
      case 'desire':
        for (const id of action.replicaIds) this.ctx.desire(id, action.version, action.behaviour);
        return { kind: 'done' };
    }
  }

  private peerAvailable(id: string, version: string): boolean {
    const me = this.entry(id);
    if (!me) return true;
    return [...this.ctx.cp.registry.replicas.values()].some((r) => r.id !== id && r.region === me.region && r.routable && r.modelVersion === version);
  }

  private async drain(id: string, timeoutMs: number, fromVersion: string): Promise<DeployResult> {
    const e = this.entry(id);
    if (!e?.connected) return { kind: 'drained', inFlight: 0, drained: true, peerAvailable: true };
    try {
      const r = await this.agent.drain(e.agentAddress, timeoutMs, this.ctx.clock);
      return { kind: 'drained', inFlight: r.inFlight, drained: r.drained, peerAvailable: this.peerAvailable(id, fromVersion) };
    } catch (err) {
      return { kind: 'drained', inFlight: null, drained: false, peerAvailable: this.peerAvailable(id, fromVersion), error: errorMessage(err) };
    }
  }

  /** After a load: admitting again (it is still held) and fresh health, so only new probes count. */
  private async afterLoad(e: ReplicaEntry): Promise<void> {
    await this.agent.undrain(e.agentAddress, this.ctx.clock).catch((err) => this.emit(EV.deployUndrainFailed, e.id, errorMessage(err)));
    this.ctx.cp.resetHealth(e.id);
  }

  private async load(id: string, version: string, behaviour: string): Promise<DeployResult> {
    const e = this.entry(id);
    if (!e?.connected) return { kind: 'loaded', ok: false, error: `${id} is not connected` };
    try {
      const r = await this.agent.loadModel(e.agentAddress, version, behaviour, this.ctx.clock, this.cfg.verifyTimeoutMs + 10_000);
      if (!r.loaded) return { kind: 'loaded', ok: false, error: r.error || 'not loaded' };
      await this.afterLoad(e);
      return { kind: 'loaded', ok: true };
    } catch (err) {
      const gone = this.ctx.processes.isGone(id);
      return { kind: 'loaded', ok: false, error: `${errorMessage(err)}${gone ? ' (the replica process exited)' : ''}` };
    }
  }

  private async restore(id: string, version: string): Promise<DeployResult> {
    const e = this.entry(id);
    try {
      if (e?.connected && !this.ctx.processes.isGone(id)) {
        const r = await this.agent.loadModel(e.agentAddress, version, 'ok', this.ctx.clock, this.cfg.verifyTimeoutMs + 10_000);
        if (!r.loaded) return { kind: 'loaded', ok: false, error: r.error || 'not loaded' };
        await this.afterLoad(e);
      } else {
        // the new version took the process down: start it again on the old version
        const pid = await this.ctx.processes.restart(id, version, 'ok');
        this.ctx.cp.resetHealth(id); // it registers at once, before its model has loaded
        this.emit('deploy.replica-restarted', id, `process restarted on ${version}`, { version, pid });
      }
      this.ctx.desire(id, version, 'ok');
      return { kind: 'loaded', ok: true };
    } catch (err) {
      return { kind: 'loaded', ok: false, error: errorMessage(err) };
    }
  }

  private async verify(ids: readonly string[], version: string, timeoutMs: number): Promise<DeployResult> {
    const deadline = this.ctx.clock.monoMs() + timeoutMs;
    for (;;) {
      let pending = '';
      for (const id of ids) {
        const e = this.entry(id);
        if (!e) return { kind: 'verified', ok: false, reason: `${id} is unknown` };
        const wrong = e.signals.inference.health === 'unhealthy' && (e.signals.inference.lastReason ?? '').includes('wrong answer');
        if (wrong && e.modelVersion === version) return { kind: 'verified', ok: false, reason: `${id}: ${e.signals.inference.lastReason}` };
        if (this.ctx.processes.isGone(id) && !e.connected) return { kind: 'verified', ok: false, reason: `${id}: the replica process exited` };
        const ok = e.connected && e.health === 'healthy' && e.modelVersion === version;
        if (!ok && !pending) pending = `${id}: ${!e.connected ? 'not connected' : e.modelVersion !== version ? `on ${e.modelVersion || 'no version'}` : `health ${e.health}`}`;
      }
      if (!pending) return { kind: 'verified', ok: true };
      if (this.ctx.clock.monoMs() >= deadline) return { kind: 'verified', ok: false, reason: `not healthy within ${timeoutMs}ms (${pending})` };
      await this.sleep(POLL_MS);
    }
  }

  private async watch(ids: readonly string[], ms: number): Promise<DeployResult> {
    const deadline = this.ctx.clock.monoMs() + ms;
    while (this.ctx.clock.monoMs() < deadline) {
      for (const id of ids) {
        const e = this.entry(id);
        if (!e?.connected) return { kind: 'watched', ok: false, reason: `${id} disconnected` };
        if (e.health === 'unhealthy') return { kind: 'watched', ok: false, reason: Object.values(e.signals).find((s) => s.health === 'unhealthy')?.lastReason ?? 'unhealthy' };
      }
      await this.sleep(Math.min(POLL_MS, Math.max(1, deadline - this.ctx.clock.monoMs())));
    }
    return { kind: 'watched', ok: true };
  }

  private counters(ids: readonly string[]): { requests: number; errors: number } {
    let requests = 0;
    let errors = 0;
    for (const id of ids) {
      const e = this.entry(id);
      if (e) {
        requests += e.lastRequestsTotal;
        errors += e.lastErrorsTotal;
      }
    }
    return { requests, errors };
  }

  private groupHealth(ids: readonly string[]): { healthy: boolean; reason?: string } {
    for (const id of ids) {
      const e = this.entry(id);
      if (!e?.connected) return { healthy: false, reason: `${id} disconnected` };
      if (e.health === 'unhealthy') return { healthy: false, reason: `${id}: ${Object.values(e.signals).find((s) => s.health === 'unhealthy')?.lastReason ?? 'unhealthy'}` };
    }
    return { healthy: true };
  }

  /** Samples both groups for `ms` (stopping early on a fact: a wrong answer or an unhealthy canary). */
  private async analyze(canary: readonly string[], canaryVersion: string, baseline: readonly string[], baselineVersion: string, ms: number): Promise<DeployResult> {
    const startC = this.counters(canary);
    const startB = this.counters(baseline);
    const samples = { canary: [] as Sample[], baseline: [] as Sample[] };
    const inFlight = new Set<Promise<void>>();
    const deadline = this.ctx.clock.monoMs() + ms;
    let turn = 0;
    let early = false;
    const fire = (group: 'canary' | 'baseline', ids: readonly string[], version: string): void => {
      const e = this.entry(ids[turn % ids.length]!);
      if (!e?.httpUrl || !e.connected) return;
      const p = this.ctx.sampler.sample(e.httpUrl, version, e.id).then((s) => {
        samples[group].push(s);
        if (group === 'canary' && s.correct === false) early = true;
      });
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    };
    while (this.ctx.clock.monoMs() < deadline && !early && !this.ctx.signal.aborted) {
      if (canary.length) fire('canary', canary, canaryVersion);
      if (baseline.length) fire('baseline', baseline, baselineVersion);
      turn += 1;
      if (!this.groupHealth(canary).healthy) break;
      await this.sleep(this.cfg.sampleIntervalMs).catch(() => undefined);
    }
    await Promise.all([...inFlight]);
    const group = (ids: readonly string[], start: { requests: number; errors: number }, s: Sample[]): GroupSamples => {
      const end = this.counters(ids);
      const h = this.groupHealth(ids);
      return {
        samples: s,
        // the agent counters include the samples themselves: leave those out
        trafficRequests: Math.max(0, end.requests - start.requests - s.length),
        trafficErrors: Math.max(0, end.errors - start.errors - s.filter((x) => !x.ok).length),
        healthy: h.healthy,
        ...(h.reason ? { unhealthyReason: h.reason } : {}),
      };
    };
    return { kind: 'analyzed', canary: group(canary, startC, samples.canary), baseline: group(baseline, startB, samples.baseline) };
  }
}
