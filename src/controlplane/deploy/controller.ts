// Deployments on the control plane: validates a request, snapshots the fleet, runs the strategy's
// policy through the executor one action at a time, and keeps the status (every step) for
// GetDeploy/WatchDeploy. One deployment at a time. It also holds each replica's desired version:
// a replica that (re)registers on another version — restarted by a crash heal, say — is brought
// to its desired version with the same per-replica steps, so the fleet converges.
import { HalabError, errorMessage } from '../../core/errors.js';
import type { ControlPlane } from '../fleet/control-plane.js';
import type { DeployAction, DeployOutcome, DeployPolicy, DeployResult, FleetReplica } from '../../policy/rollout-actions.js';
import { blueGreenPolicy } from '../../policy/rollout-blue-green.js';
import { canaryPolicy } from '../../policy/rollout-canary.js';
import { DEFAULT_DEPLOY_CONFIG, DEFAULT_DEPLOY_SLO, validateDeployRequest, type DeployConfig, type DeployRequestInput, type DeploySlo, type ValidDeployRequest } from '../../policy/rollout-config.js';
import { DeployExecutor, type DeployDeps } from './executor.js';
import { rollingPolicy, updateReplica } from '../../policy/rollout-rolling.js';
import type { DeployStepType, StepDataArgs } from '../../record/event-types.js';
import { emitDeployStep } from '../../record/events.js';

export interface DeployStepRecord {
  readonly atMs: number;
  readonly type: string;
  readonly subject: string;
  readonly reason?: string;
  readonly data?: Record<string, unknown>;
}

export interface DeploymentStatus {
  readonly deployId: string;
  readonly strategy: string;
  readonly modelVersion: string;
  readonly fromVersion: string;
  state: 'running' | 'succeeded' | 'rolled-back' | 'failed';
  reason: string;
  readonly startedAtMs: number;
  endedAtMs: number;
  readonly steps: DeployStepRecord[];
}

export interface DeployControllerOptions extends DeployDeps {
  readonly defaults?: DeployConfig;
  readonly slo?: DeploySlo;
}

/** Steps kept per deployment (bounded). */
const STEPS_MAX = 5000;
/** Reconciling a replica back to its desired version uses short waits: it just registered. */
const RECONCILE_DRAIN_MS = 5000;

export function fleetOf(cp: ControlPlane): FleetReplica[] {
  const serving = cp.servingClusters();
  return [...cp.registry.replicas.values()].map((e) => ({
    id: e.id,
    region: e.region,
    cluster: e.cluster,
    role: cp.registry.topology.clusters.find((c) => c.id === e.clusterKey)?.role ?? 'primary',
    modelVersion: e.modelVersion,
    connected: e.connected,
    serving: serving.has(e.clusterKey),
    routable: e.routable,
  }));
}

/** The version most connected replicas run (the deployment's "from" version). */
export function currentVersion(fleet: readonly FleetReplica[], fallback: string): string {
  const counts = new Map<string, number>();
  for (const r of fleet) if (r.connected && r.modelVersion) counts.set(r.modelVersion, (counts.get(r.modelVersion) ?? 0) + 1);
  let best = fallback;
  let n = 0;
  for (const [v, c] of counts) if (c > n) [best, n] = [v, c];
  return best;
}

export class DeployController {
  private readonly history: DeploymentStatus[] = [];
  private readonly watchers = new Set<(s: DeploymentStatus) => void>();
  private readonly desired = new Map<string, { version: string; behaviour: string }>();
  private readonly abort = new AbortController();
  private running: DeploymentStatus | undefined;
  private reconciling = new Set<string>();
  private seq = 0;
  private readonly unhook: () => void;

  constructor(private readonly opts: DeployControllerOptions) {
    this.unhook = opts.cp.onRegistered((entry) => this.onRegistered(entry.id, entry.modelVersion));
  }

  private defaults(): DeployConfig {
    return this.opts.defaults ?? DEFAULT_DEPLOY_CONFIG;
  }

  /** Validates and starts a deployment; returns its first status. USAGE for bad input, CONFLICT-like USAGE when one runs. */
  start(input: DeployRequestInput): DeploymentStatus {
    const req = validateDeployRequest(input, this.defaults());
    if (this.running) {
      throw new HalabError('LAB_ALREADY_RUNNING', `deployment ${this.running.deployId} (${this.running.strategy} to ${this.running.modelVersion}) is still running`, 'wait for it to end; `halab status` shows each replica\'s version');
    }
    const fleet = fleetOf(this.opts.cp);
    const fromVersion = currentVersion(fleet, this.opts.topology.model.version);
    const connected = fleet.filter((r) => r.connected);
    if (connected.length === 0) throw new HalabError('USAGE', 'no replica is connected: nothing to deploy to');
    if (connected.every((r) => r.modelVersion === req.modelVersion)) throw new HalabError('USAGE', `every connected replica already runs ${req.modelVersion}`);
    const status: DeploymentStatus = {
      deployId: `deploy-${++this.seq}-${req.modelVersion}`,
      strategy: req.strategy,
      modelVersion: req.modelVersion,
      fromVersion,
      state: 'running',
      reason: '',
      startedAtMs: this.opts.clock.nowMs(),
      endedAtMs: 0,
      steps: [],
    };
    this.running = status;
    this.history.push(status);
    if (this.history.length > 20) this.history.shift();
    this.record(status, 'deploy.started', status.deployId, `${req.strategy} ${fromVersion} -> ${req.modelVersion}${req.behaviour !== 'ok' ? ` (behaves ${req.behaviour})` : ''}`, {
      strategy: req.strategy,
      version: req.modelVersion,
      fromVersion,
      behaviour: req.behaviour,
      config: req.config,
    });
    void this.run(status, req, fleet);
    return status;
  }

  get(deployId = ''): DeploymentStatus | undefined {
    return deployId ? this.history.find((d) => d.deployId === deployId) : this.history[this.history.length - 1];
  }

  watch(fn: (s: DeploymentStatus) => void): () => void {
    this.watchers.add(fn);
    return () => this.watchers.delete(fn);
  }

  /** Desired version of every replica that has one. */
  desiredVersions(): ReadonlyMap<string, { version: string; behaviour: string }> {
    return this.desired;
  }

  stop(): void {
    this.abort.abort(new Error('control plane stopping'));
    this.unhook();
    this.watchers.clear();
  }

  /** Records a step of the deployment itself (started, its end) as an event and in its status. */
  private record<T extends DeployStepType>(status: DeploymentStatus, type: T, subject: string, reason: string | undefined, ...data: StepDataArgs<T>): void {
    const event = emitDeployStep(this.opts.events, type, subject, reason, status.deployId, ...data);
    this.note(status, type, subject, reason, event.data ?? {});
  }

  /** Adds a recorded step (an event the executor already emitted) to the deployment's status. */
  private note(status: DeploymentStatus, type: string, subject: string, reason: string | undefined, data: Readonly<Record<string, unknown>>): void {
    status.steps.push({ atMs: this.opts.clock.nowMs(), type, subject, ...(reason ? { reason } : {}), data: { ...data } });
    if (status.steps.length > STEPS_MAX) status.steps.splice(1, status.steps.length - STEPS_MAX);
    for (const w of this.watchers) w(status);
  }

  private executor(status: DeploymentStatus, cfg: DeployConfig): DeployExecutor {
    return new DeployExecutor(
      {
        cp: this.opts.cp,
        topology: this.opts.topology,
        clock: this.opts.clock,
        events: this.opts.events,
        processes: this.opts.processes,
        sampler: this.opts.sampler,
        ...(this.opts.agent ? { agent: this.opts.agent } : {}),
        signal: this.abort.signal,
        onNote: (type, subject, reason, data) => this.note(status, type, subject, reason, data),
        desire: (id, version, behaviour) => this.setDesired(id, version, behaviour),
      },
      status.deployId,
      cfg,
    );
  }

  private setDesired(id: string, version: string, behaviour: string): void {
    this.desired.set(id, { version, behaviour });
    try {
      this.opts.processes.pin(id, version, behaviour);
    } catch {
      // the lab state is best effort; the desired version itself is what reconciles
    }
  }

  private policyFor(req: ValidDeployRequest, fleet: readonly FleetReplica[], fromVersion: string): DeployPolicy {
    const slo = this.opts.slo ?? DEFAULT_DEPLOY_SLO;
    if (req.strategy === 'rolling') return rollingPolicy(fleet, fromVersion, req.modelVersion, req.behaviour, req.config, slo);
    if (req.strategy === 'canary') return canaryPolicy(fleet, fromVersion, req.modelVersion, req.behaviour, req.config, slo);
    return blueGreenPolicy(fleet, fromVersion, req.modelVersion, req.behaviour, req.config, slo);
  }

  private async drive(policy: DeployPolicy, executor: DeployExecutor): Promise<DeployOutcome> {
    let next = policy.next();
    while (!next.done) {
      if (this.abort.signal.aborted) return { state: 'failed', reason: 'control plane stopped during the deployment' };
      const action: DeployAction = next.value;
      let result: DeployResult;
      try {
        result = await executor.perform(action);
      } catch (err) {
        if (this.abort.signal.aborted) return { state: 'failed', reason: 'control plane stopped during the deployment' };
        throw err;
      }
      next = policy.next(result);
    }
    return next.value;
  }

  private async run(status: DeploymentStatus, req: ValidDeployRequest, fleet: readonly FleetReplica[]): Promise<void> {
    let outcome: DeployOutcome;
    try {
      outcome = await this.drive(this.policyFor(req, fleet, status.fromVersion), this.executor(status, req.config));
    } catch (err) {
      outcome = { state: 'failed', reason: `deployment error: ${errorMessage(err)}` };
    }
    // replicas the deployment skipped while they were down still want the new version: after a
    // rollback (or a failure) they must come back on the old one, not move the fleet half-way
    // (one a reconcile already moved to the new version while the rollback ran is moved back)
    const strays: string[] = [];
    if (outcome.state !== 'succeeded') {
      for (const [id, want] of this.desired) {
        if (want.version !== req.modelVersion) continue;
        this.setDesired(id, status.fromVersion, 'ok');
        strays.push(id);
      }
    }
    status.state = outcome.state;
    status.reason = outcome.reason;
    status.endedAtMs = this.opts.clock.nowMs();
    this.running = undefined;
    const versions = Object.fromEntries([...this.opts.cp.registry.replicas.values()].map((e) => [e.id, e.modelVersion]));
    this.record(status, `deploy.${outcome.state}`, status.deployId, outcome.reason, { durationMs: Math.round(status.endedAtMs - status.startedAtMs), versions });
    for (const id of strays) {
      const e = this.opts.cp.registry.get(id);
      if (e?.connected) this.onRegistered(id, e.modelVersion);
    }
  }

  /** A replica registered: bring it to its desired version when it runs another one. */
  private onRegistered(id: string, version: string): void {
    const want = this.desired.get(id);
    if (!want || want.version === version || this.reconciling.has(id) || this.abort.signal.aborted) return;
    // the running deployment handles replicas it has not reached yet (they have no new desired version)
    this.reconciling.add(id);
    const cfg: DeployConfig = { ...this.defaults(), drainMs: RECONCILE_DRAIN_MS, watchMs: 0, verifyTimeoutMs: Math.min(this.defaults().verifyTimeoutMs, 120_000) };
    const status: DeploymentStatus = {
      deployId: `reconcile-${id}`,
      strategy: 'reconcile',
      modelVersion: want.version,
      fromVersion: version,
      state: 'running',
      reason: '',
      startedAtMs: this.opts.clock.nowMs(),
      endedAtMs: 0,
      steps: [],
    };
    this.opts.events.emit('deploy.reconcile', id, `registered on ${version || 'no version'}, desired ${want.version}`, { version, desired: want.version });
    const policy = (function* (): DeployPolicy {
      // wait until the replica's own start-up load is over, then move it — also when it never
      // gets healthy on the version it came back on (the bad version of a deployment that rolled
      // back while it was down): that version is the unwanted one, so loading the desired one
      // costs nothing, and giving up would leave the fleet half-way for good (found by the
      // virtual-time harness, seeds 2193 and 3638)
      yield { kind: 'verify', replicaIds: [id], version, timeoutMs: cfg.verifyTimeoutMs };
      const r = yield* updateReplica(id, version, want.version, want.behaviour, cfg);
      return r.ok ? { state: 'succeeded', reason: `${id} on ${want.version}` } : { state: 'failed', reason: r.reason };
    })();
    void this.drive(policy, this.executor(status, cfg))
      .then((o) => this.opts.events.emit(o.state === 'succeeded' ? 'deploy.reconciled' : 'deploy.reconcile-failed', id, o.reason, { desired: want.version }))
      .catch((err) => this.opts.events.emit('deploy.reconcile-failed', id, errorMessage(err)))
      .finally(() => {
        // a reconcile that failed half-way (the replica died while held) must not keep it out of
        // routing for good: from here its health alone decides
        this.opts.cp.setHeld(id, false);
        this.reconciling.delete(id);
      });
  }
}
