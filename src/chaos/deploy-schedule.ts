// Scenario deploy actions: at each deploy's time the run asks the control plane to start it
// (the same API `halab deploy` uses) and follows it to its end. The request, its acceptance or
// refusal, and the outcome are events in the record (source chaos); the deployment's own steps
// are recorded by the control plane.
import type { Clock, TimerHandle } from '../core/clock.js';
import { errorMessage } from '../core/errors.js';
import type { EventSink } from '../record/events.js';
import type { DeployActionSpec } from '../config/scenario.js';
import type { DeployOptions } from '../gen/halab/v1/DeployOptions.js';
import { startDeploy, watchDeploy } from '../lab/deploy-client.js';

export function deployOptionsOf(d: DeployActionSpec): DeployOptions {
  const o = d.options;
  const out: DeployOptions = {
    ...(o.drain !== undefined ? { drainMs: o.drain } : {}),
    ...(o.verifyTimeout !== undefined ? { verifyTimeoutMs: o.verifyTimeout } : {}),
    ...(o.watch !== undefined ? { watchMs: o.watch } : {}),
    ...(o.canaryShare !== undefined ? { canaryShare: o.canaryShare } : {}),
    ...(o.canaryReplicas !== undefined ? { canaryReplicas: o.canaryReplicas } : {}),
    ...(o.canaryTime !== undefined ? { canaryMs: o.canaryTime } : {}),
    ...(o.analysis !== undefined ? { analysisMs: o.analysis } : {}),
    ...(o.sampleInterval !== undefined ? { sampleIntervalMs: o.sampleInterval } : {}),
    ...(o.steps !== undefined ? { steps: o.steps } : {}),
    ...(o.stepTime !== undefined ? { stepMs: o.stepTime } : {}),
    ...(o.keepBlue !== undefined ? { keepBlueMs: o.keepBlue } : {}),
    ...(o.rollbackScope !== undefined ? { rollbackScope: o.rollbackScope } : {}),
  };
  return out;
}

export class DeploySchedule {
  private readonly timers: TimerHandle[] = [];
  private readonly watches = new Set<Promise<unknown>>();
  private readonly abort = new AbortController();

  constructor(
    private readonly controlPlane: string,
    private readonly events: EventSink,
    private readonly clock: Clock,
  ) {}

  start(deploys: readonly DeployActionSpec[]): void {
    deploys.forEach((d, i) => this.timers.push(this.clock.setTimer(d.at, () => void this.launch(d, i))));
  }

  private async launch(d: DeployActionSpec, index: number): Promise<void> {
    if (this.abort.signal.aborted) return;
    const subject = `deploy[${index}]`;
    this.events.emit('deploy.requested', subject, undefined, { index, version: d.version, strategy: d.strategy, behaviour: d.behaviour, ...(d.expect ? { expect: d.expect } : {}) });
    try {
      const s = await startDeploy(this.controlPlane, { modelVersion: d.version, strategy: d.strategy, behaviour: d.behaviour, options: deployOptionsOf(d) }, this.clock);
      this.events.emit('deploy.accepted', subject, undefined, { index, deployId: s.deployId });
      const p = watchDeploy(this.controlPlane, s.deployId, () => undefined, this.abort.signal)
        .then((f) => this.events.emit('deploy.ended', subject, f.reason, { index, deployId: f.deployId, state: f.state }))
        .catch((err) => this.events.emit('deploy.unfinished', subject, errorMessage(err), { index, deployId: s.deployId }));
      this.watches.add(p);
      void p.finally(() => this.watches.delete(p));
    } catch (err) {
      this.events.emit('deploy.refused', subject, errorMessage(err), { index });
    }
  }

  /** Waits up to `graceMs` for running deployments to end, then stops following them. */
  async stop(graceMs: number): Promise<void> {
    for (const t of this.timers) t.cancel();
    if (this.watches.size > 0) {
      const timer = this.clock.sleep(graceMs).catch(() => undefined);
      await Promise.race([Promise.allSettled([...this.watches]), timer]);
    }
    this.abort.abort(new Error('run ended'));
    await Promise.allSettled([...this.watches]);
  }
}
