// The harness's invariants: named checks of the real code's decisions against the simulated
// world's ground truth, run after every step (safety) and once the faults have healed (liveness).
// Each violation names its check, says what was wrong, and carries the virtual time it happened.
import type { HealthPolicyConfig } from '../../policy/health.js';
import type { Topology } from '../../config/topology.js';
import type { SimReplica, SimWorld } from './world.js';

export const INVARIANTS = {
  routedToDead: 'no-request-to-dead-replica',
  deadClusterRouted: 'dead-cluster-out-of-routing',
  standbyServes: 'healthy-standby-serves',
  twoLeaders: 'one-writing-leader',
  faultHealed: 'every-fault-healed',
  worldRestored: 'world-restored-after-heal',
  recovered: 'service-recovered-after-heal',
  deployEnded: 'deploy-rolled-out-or-back',
  sameTrace: 'same-seed-same-trace',
} as const;

export type InvariantName = (typeof INVARIANTS)[keyof typeof INVARIANTS];

export interface Violation {
  readonly check: InvariantName;
  readonly atMs: number;
  readonly message: string;
}

/**
 * Longest the control plane may take to notice a replica that stopped answering: a probe just
 * passed, the next one starts an interval later, and `unhealthyThreshold` probes each time out
 * (with the edge interval between them); plus a margin for the publish. ms.
 */
export function detectionBoundMs(p: HealthPolicyConfig, marginMs = 500): number {
  return p.intervalMs + p.unhealthyThreshold * p.probeTimeoutMs + (p.unhealthyThreshold - 1) * p.edgeIntervalMs + marginMs;
}

/** Longest a replica that answers again takes to be counted healthy (healthyThreshold probes on edges). */
export function healthyBoundMs(p: HealthPolicyConfig, marginMs = 500): number {
  return p.unhealthyIntervalMs + p.healthyThreshold * p.edgeIntervalMs + marginMs;
}

/** The per-step safety checks, with the continuous-condition clocks they need. */
export class SafetyChecks {
  readonly violations: Violation[] = [];
  /** The checks must run again by this time even if nothing changed (a bound runs out). */
  nextDeadlineMs = Infinity;
  private readonly seen = new Set<string>();
  private readonly clusterDeadSince = new Map<string, number>();
  private readonly clusterHealthySince = new Map<string, number>();
  private readonly regionUnservedSince = new Map<string, number>();
  private readonly members: ReadonlyMap<string, readonly SimReplica[]>;

  constructor(
    private readonly topology: Topology,
    private readonly world: SimWorld,
    private readonly detectionMs: number,
    private readonly healthyMs: number,
  ) {
    this.members = new Map(topology.clusters.map((c) => [c.id, [...world.replicas.values()].filter((r) => r.clusterKey === c.id)]));
  }

  /** Records a violation once per check and subject (a broken rule would repeat every step). */
  report(check: InvariantName, subject: string, atMs: number, message: string): void {
    const key = `${check} ${subject}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.violations.push({ check, atMs, message });
  }

  /** A gateway picked this replica for a request. */
  routed(replicaId: string, region: string, nowMs: number): void {
    const r = this.world.replicas.get(replicaId);
    if (r?.deadSinceMs === undefined) return;
    const deadMs = nowMs - r.deadSinceMs;
    if (deadMs > this.detectionMs) {
      this.report(INVARIANTS.routedToDead, replicaId, nowMs, `gateway/${region} routed a request to ${replicaId}, which stopped answering ${deadMs}ms ago (detection bound ${this.detectionMs}ms)`);
    }
  }

  /** After every step: routable replicas (per the published topology) against the world. */
  step(nowMs: number, routable: ReadonlySet<string>): void {
    let deadline = Infinity;
    const due = (atMs: number): void => void (atMs > nowMs && atMs < deadline && (deadline = atMs));
    const routableIn = new Map<string, number>();
    for (const id of routable) {
      const r = this.world.replicas.get(id);
      if (r) routableIn.set(r.clusterKey, (routableIn.get(r.clusterKey) ?? 0) + 1).set(r.region, (routableIn.get(r.region) ?? 0) + 1);
    }
    const healthyLong = new Map<string, string[]>();
    for (const c of this.topology.clusters) {
      const members = this.members.get(c.id)!;
      const allDead = members.every((r) => r.deadSinceMs !== undefined);
      const since = this.since(this.clusterDeadSince, c.id, allDead, nowMs);
      if (since !== undefined) due(since + this.detectionMs + 1);
      if (since !== undefined && nowMs - since > this.detectionMs && (routableIn.get(c.id) ?? 0) > 0) {
        this.report(INVARIANTS.deadClusterRouted, c.id, nowMs, `cluster ${c.id} has answered nothing for ${nowMs - since}ms and still has routable replicas (bound ${this.detectionMs}ms)`);
      }
      const healthy = members.filter((r) => this.world.healthyTruth(r)).length / members.length >= c.minHealthyFraction;
      const hSince = this.since(this.clusterHealthySince, c.id, healthy, nowMs);
      if (hSince !== undefined) due(hSince + this.healthyMs + 1);
      if (hSince !== undefined && nowMs - hSince > this.healthyMs) healthyLong.set(c.region, [...(healthyLong.get(c.region) ?? []), c.id]);
    }
    for (const region of this.topology.regions) {
      const unserved = (routableIn.get(region.name) ?? 0) === 0;
      const since = this.since(this.regionUnservedSince, region.name, unserved, nowMs);
      if (since !== undefined) due(since + this.detectionMs + this.healthyMs + 1);
      if (since !== undefined && healthyLong.has(region.name) && nowMs - since > this.detectionMs + this.healthyMs) {
        const healthy = healthyLong.get(region.name)!;
        this.report(INVARIANTS.standbyServes, region.name, nowMs, `${region.name} has had no routable replica for ${nowMs - since}ms although a cluster of it (${healthy.join(' or ')}) has been healthy for over ${this.healthyMs}ms`);
      }
    }
    this.nextDeadlineMs = deadline;
  }

  /** Start of the current run of `cond` for `key`, or undefined when it does not hold. */
  private since(m: Map<string, number>, key: string, cond: boolean, nowMs: number): number | undefined {
    if (!cond) {
      m.delete(key);
      return undefined;
    }
    if (!m.has(key)) m.set(key, nowMs);
    return m.get(key);
  }
}
