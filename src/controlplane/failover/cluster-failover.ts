// The I/O edge of cluster failover (src/controlplane/failover-policy.ts): runs the pure policy on
// every health change and on its own wake-ups (drain bound, failback hold), records every decision
// as an event, and carries out its actions — a bounded Drain of the failed cluster's live replicas
// over their gRPC agents, and Undrain once the cluster is back as the standby.
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { grpc, replicaAgentPackage } from '../../protocol/grpc.js';
import type { DrainReply__Output } from '../../gen/halab/v1/DrainReply.js';
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

export interface Drainer {
  /** Drains every target (in parallel), each bounded by timeoutMs; dead ones count as drained. */
  drain(targets: readonly DrainTarget[], timeoutMs: number): Promise<DrainResult>;
  undrain(targets: readonly DrainTarget[]): Promise<void>;
}

function agentCall(address: string, method: 'Drain' | 'Undrain', req: object, deadlineMs: number, clock: Clock): Promise<DrainReply__Output> {
  const { ReplicaAgent } = replicaAgentPackage();
  const client = new ReplicaAgent(address, grpc.credentials.createInsecure());
  return new Promise((resolve, reject) => {
    const cb = (err: grpc.ServiceError | null, res?: DrainReply__Output): void => {
      client.close();
      if (err || !res) reject(err ?? new Error('empty reply'));
      else resolve(res);
    };
    const opts = { deadline: new Date(clock.nowMs() + deadlineMs) };
    if (method === 'Drain') client.Drain(req, opts, cb);
    else client.Undrain(req, opts, cb);
  });
}

/** Drains over the replicas' gRPC agents. */
export function agentDrainer(clock: Clock): Drainer {
  return {
    async drain(targets, timeoutMs) {
      const started = clock.monoMs();
      const replies = await Promise.all(
        targets
          .filter((t) => t.connected && t.agentAddress)
          .map((t) => agentCall(t.agentAddress, 'Drain', { timeoutMs }, timeoutMs + 2000, clock).catch(() => ({ inFlight: 0, drained: true, waitedMs: 0 }))),
      );
      return { inFlight: replies.reduce((n, r) => n + r.inFlight, 0), waitedMs: clock.monoMs() - started };
    },
    async undrain(targets) {
      await Promise.all(targets.filter((t) => t.connected && t.agentAddress).map((t) => agentCall(t.agentAddress, 'Undrain', {}, 3000, clock).catch(() => undefined)));
    },
  };
}

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
  ) {
    this.state = initialFailoverState(clusters, clock.nowMs());
  }

  /** Runs the policy on the current cluster health; returns the serving clusters. */
  step(health: readonly ClusterHealth[]): { serving: ReadonlySet<string>; changed: boolean } {
    const step = stepFailover(health, this.state, this.clock.nowMs(), this.config);
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
        void this.drainer.undrain(this.members(a.cluster));
      }
    }
    this.scheduleWake();
  }

  private scheduleWake(): void {
    this.wake?.cancel();
    const at = nextWakeMs(this.state, this.config);
    const now = this.clock.nowMs();
    if (this.stopped || at === undefined || at <= now) return;
    this.wake = this.clock.setTimer(at - now, () => this.onChange());
  }
}
