// The I/O edge of cluster failover (src/policy/failover.ts): runs the pure policy on
// every health change and on its own wake-ups (drain bound, failback hold), records every decision
// as an event, and carries out its actions — a bounded Drain of the failed cluster's live replicas
// over their gRPC agents, and Undrain once the cluster is back as the standby. A failed Drain or
// Undrain call is an event (cluster.drain-failed, cluster.undrain-failed), never a success.
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import { errorMessage } from '../../core/errors.js';
import { agentDrain, agentUndrain } from '../../replica/agent-client.js';
import {
  adoptedFailoverState,
  drainFinished,
  failedClusters,
  initialFailoverState,
  nextWakeMs,
  servingClusters,
  stepFailover,
  type ClusterHealth,
  type DrainResult,
  type FailoverConfig,
  type FailoverStep,
  type FailoverState,
} from '../../policy/failover.js';

export interface DrainTarget {
  readonly id: string;
  readonly agentAddress: string;
  readonly connected: boolean;
}

/** A replica whose Drain or Undrain call failed, and why. */
export type DrainFailure = DrainResult['failed'][number];

export interface Drainer {
  /**
   * Drains every connected target (in parallel), each bounded by timeoutMs. A failed call is in
   * `failed`, never counted as drained; a disconnected replica runs nothing and is skipped.
   */
  drain(targets: readonly DrainTarget[], timeoutMs: number): Promise<DrainResult>;
  /** Undrains every connected target; returns those whose call failed. */
  undrain(targets: readonly DrainTarget[]): Promise<DrainFailure[]>;
}

/** Runs `call` on every connected target; the replies, and the failures with their reasons. */
async function onEach<T>(targets: readonly DrainTarget[], call: (address: string) => Promise<T>): Promise<{ replies: T[]; failed: DrainFailure[] }> {
  const live = targets.filter((t) => t.connected && t.agentAddress);
  const settled = await Promise.allSettled(live.map((t) => call(t.agentAddress)));
  const replies: T[] = [];
  const failed: DrainFailure[] = [];
  settled.forEach((r, i) => (r.status === 'fulfilled' ? replies.push(r.value) : failed.push({ replica: live[i]!.id, reason: errorMessage(r.reason) })));
  return { replies, failed };
}

/** Drains over the replicas' gRPC agents. */
export function agentDrainer(clock: Clock): Drainer {
  return {
    async drain(targets, timeoutMs) {
      const started = clock.monoMs();
      const { replies, failed } = await onEach(targets, (address) => agentDrain(address, timeoutMs, clock));
      return { inFlight: replies.reduce((n, r) => n + r.inFlight, 0), waitedMs: clock.monoMs() - started, failed };
    },
    async undrain(targets) {
      return (await onEach(targets, (address) => agentUndrain(address, clock))).failed;
    },
  };
}

/** The failover policy's step (src/policy/failover.ts); the harness swaps in a broken one to prove its checks can fail. */
export type FailoverStepFn = typeof stepFailover;

export class ClusterFailover {
  private state: FailoverState;
  private wake: TimerHandle | undefined;
  private stopped = false;

  constructor(
    clusters: readonly Pick<ClusterHealth, 'id' | 'role'>[],
    private readonly config: FailoverConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    private readonly drainer: Drainer,
    /** The cluster's replicas as the registry knows them now. */
    private readonly members: (clusterId: string) => DrainTarget[],
    /** Something changed outside a health change (a drain ended, a wake-up): recompute. */
    private readonly onChange: () => void,
    private readonly stepPolicy: FailoverStepFn = stepFailover,
  ) {
    this.state = initialFailoverState(clusters, clock.nowMs());
  }

  /** Runs the policy on the current cluster health; returns the serving clusters. */
  step(health: readonly ClusterHealth[]): { serving: ReadonlySet<string>; changed: boolean } {
    const step = this.stepPolicy(health, this.state, this.clock.nowMs(), this.config);
    this.apply(step);
    return { serving: servingClusters(this.state), changed: step.decisions.length > 0 };
  }

  serving(): ReadonlySet<string> {
    return servingClusters(this.state);
  }

  /** Failed clusters (draining or recovering), for persisting alongside `serving()`. */
  failed(): ReadonlySet<string> {
    return failedClusters(this.state);
  }

  /** Takes over stored serving and failed clusters (a new leader, a restore). */
  adopt(serving: readonly string[], failed: readonly string[]): void {
    this.state = adoptedFailoverState(this.state, new Set(serving), new Set(failed), this.clock.nowMs());
    this.scheduleWake();
  }

  phases(): Record<string, string> {
    return Object.fromEntries([...this.state.clusters].map(([id, s]) => [id, s.phase]));
  }

  stop(): void {
    this.stopped = true;
    this.wake?.cancel();
  }

  private apply(step: FailoverStep): void {
    this.state = step.state;
    for (const d of step.decisions) this.events.emit(d.type, d.cluster, d.reason, d.data);
    for (const a of step.actions) {
      if (a.type === 'drain') {
        void this.drainer.drain(this.members(a.cluster), a.timeoutMs).then((result) => {
          if (this.stopped) return;
          this.apply(drainFinished(this.state, a.cluster, result, this.clock.nowMs(), this.config));
          this.onChange();
        });
      } else {
        void this.drainer.undrain(this.members(a.cluster)).then((failed) => {
          if (failed.length > 0) this.events.emit(EV.clusterUndrainFailed, a.cluster, failed.map((f) => `${f.replica}: ${f.reason}`).join('; '), { failed });
        });
      }
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    this.wake?.cancel();
    const now = this.clock.nowMs();
    const at = nextWakeMs(this.state, this.config, now);
    if (this.stopped || at === undefined || at <= now) return;
    this.wake = this.clock.setTimer(at - now, () => this.onChange());
  }
}
