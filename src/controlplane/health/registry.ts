// The control plane's view of the fleet: every replica of the topology, what it registered, its
// health signals, and whether it is routable. Pure state changes; callers emit the events.
import type { ExternalReplicaSpec, Topology } from '../../config/topology.js';
import { clusterId } from '../../core/ids.js';
import { initialSignals, replicaHealth, type ReplicaSignals, type SignalHealth, type SignalName } from '../../policy/health.js';
import type { ClusterHealth } from '../../policy/failover.js';

export interface ReplicaEntry {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly clusterKey: string;
  httpUrl: string;
  agentAddress: string;
  pid: number;
  modelVersion: string;
  connected: boolean;
  draining: boolean;
  signals: ReplicaSignals;
  health: SignalHealth;
  routable: boolean;
  weight: number;
  /** Taken out of routing by a deployment (drain, model load, verification). */
  held: boolean;
  /** Added by a deployment (blue-green's green set), not from the topology file. */
  readonly extra: boolean;
  /** Has been healthy at least once (an added replica counts toward its cluster from then on). */
  everHealthy: boolean;
  /** Last counters seen from the agent, for the error-rate signal. */
  lastRequestsTotal: number;
  lastErrorsTotal: number;
  /** A real OpenAI-compatible endpoint (probed by kind over HTTP, no agent). */
  readonly external?: ExternalReplicaSpec;
  /** Signals the probes cannot measure for this replica (reported unknown, left out of health). */
  readonly unmeasured: Set<SignalName>;
}

function newEntry(spec: { readonly id: string; readonly region: string; readonly cluster: string }, extra: boolean, external?: ExternalReplicaSpec): ReplicaEntry {
  return {
    id: spec.id,
    region: spec.region,
    cluster: spec.cluster,
    clusterKey: clusterId(spec.region, spec.cluster),
    httpUrl: '',
    agentAddress: '',
    pid: 0,
    modelVersion: '',
    connected: false,
    draining: false,
    signals: initialSignals(),
    health: 'unknown',
    routable: false,
    weight: 1,
    held: false,
    extra,
    everHealthy: false,
    lastRequestsTotal: 0,
    lastErrorsTotal: 0,
    unmeasured: new Set(),
    ...(external ? { external } : {}),
  };
}

export class Registry {
  readonly replicas = new Map<string, ReplicaEntry>();

  constructor(readonly topology: Topology) {
    for (const r of topology.replicas) this.replicas.set(r.id, newEntry(r, false, r.external));
  }

  /** Adds a replica that is not in the topology file (a blue-green green replica) to a cluster of it. */
  add(spec: { readonly id: string; readonly region: string; readonly cluster: string }): ReplicaEntry {
    const existing = this.replicas.get(spec.id);
    if (existing) return existing;
    const entry = newEntry(spec, true);
    this.replicas.set(spec.id, entry);
    return entry;
  }

  remove(id: string): boolean {
    return this.replicas.delete(id);
  }

  get(id: string): ReplicaEntry | undefined {
    return this.replicas.get(id);
  }

  setSignals(entry: ReplicaEntry, signals: ReplicaSignals): { from: SignalHealth; to: SignalHealth } | undefined {
    entry.signals = signals;
    const next = replicaHealth(signals, entry.unmeasured);
    if (next === entry.health) return undefined;
    const from = entry.health;
    entry.health = next;
    if (next === 'healthy') entry.everHealthy = true;
    return { from, to: next };
  }

  /** Healthy and total replicas per cluster, for the serving policy. */
  clusterHealth(): ClusterHealth[] {
    return this.topology.clusters.map((c) => {
      // a replica a deployment added counts once it has been healthy: a starting green set must not
      // make its cluster look failed, and a green replica that fails later counts like any other
      const members = [...this.replicas.values()].filter((r) => r.clusterKey === c.id && (!r.extra || r.everHealthy));
      return {
        id: c.id,
        region: c.region,
        role: c.role,
        healthy: members.filter((r) => r.connected && r.health === 'healthy').length,
        total: members.length,
        minHealthyFraction: c.minHealthyFraction,
      };
    });
  }
}
