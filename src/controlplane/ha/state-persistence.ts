// What the control plane keeps in its state store, and how: replica registry records, serving
// clusters and the last published topology (routing), model versions, deployment records, routing
// configuration and the event log. Writes are coalesced per key and applied in order by one
// writer; a failed write is logged and reported as a `state.write-failed` event, never swallowed.
import type { Clock } from '../../core/clock.js';
import type { LabEvent } from '../../record/events.js';
import type { Topology } from '../../config/topology.js';
import type { AdoptedState, RoutableSnapshot } from '../fleet/control-plane.js';
import type { ReplicaEntry } from '../health/registry.js';
import type { StateStore } from '../../store/state-store.js';

export const STATE_KEYS = {
  replicaPrefix: 'replicas/',
  replica: (id: string) => `replicas/${id}`,
  snapshot: 'routing/snapshot',
  serving: 'routing/serving',
  routingConfig: 'config/routing',
  modelPrefix: 'models/',
  model: (name: string) => `models/${name}`,
  deploymentPrefix: 'deployments/',
  deployment: (id: string) => `deployments/${id}`,
  eventPrefix: 'events/',
  event: (seq: number) => `events/${String(seq).padStart(12, '0')}`,
  leaderTerm: 'meta/leader-term',
} as const;

/** Event log entries kept in the store (older ones are deleted as new ones arrive). */
export const EVENTS_KEEP = 2000;

export interface ModelVersionRecord {
  readonly name: string;
  readonly version: string;
  readonly registeredAtMs: number;
}

export interface DeploymentRecord {
  readonly id: string;
  readonly model: string;
  readonly version: string;
  readonly state: 'active' | 'rolling-out' | 'rolled-back';
  readonly atMs: number;
}

function replicaRecord(e: ReplicaEntry): Record<string, unknown> {
  return {
    httpUrl: e.httpUrl,
    agentAddress: e.agentAddress,
    pid: e.pid,
    modelVersion: e.modelVersion,
    connected: e.connected,
    draining: e.draining,
    signals: e.signals,
    health: e.health,
    routable: e.routable,
    weight: e.weight,
  };
}

/** Reads the stored control-plane state (empty parts when the store is new). */
export async function loadAdoptedState(store: StateStore): Promise<AdoptedState & { readonly eventSeq: number; readonly term: number }> {
  const replicas = new Map<string, Partial<ReplicaEntry>>();
  for (const [key, value] of await store.list(STATE_KEYS.replicaPrefix)) replicas.set(key.slice(STATE_KEYS.replicaPrefix.length), JSON.parse(value) as Partial<ReplicaEntry>);
  const servingText = await store.get(STATE_KEYS.serving);
  const serving = servingText ? (JSON.parse(servingText) as { serving: string[]; failed: string[]; version: number }) : undefined;
  const snapshotText = await store.get(STATE_KEYS.snapshot);
  const events = [...(await store.list(STATE_KEYS.eventPrefix)).keys()];
  const last = events.at(-1);
  const term = Number((await store.get(STATE_KEYS.leaderTerm)) ?? 0);
  return {
    replicas,
    ...(serving ? { clusters: { serving: serving.serving, failed: serving.failed } } : {}),
    version: serving?.version ?? 0,
    ...(snapshotText ? { snapshot: JSON.parse(snapshotText) as RoutableSnapshot } : {}),
    eventSeq: last ? Number(last.slice(STATE_KEYS.eventPrefix.length)) : 0,
    term,
  };
}

export class StatePersistence {
  private pending = new Map<string, string | null>();
  private writing = false;
  private idle: (() => void)[] = [];
  private eventSeq: number;

  constructor(
    private readonly store: StateStore,
    private readonly clock: Clock,
    private readonly onError: (message: string, err: unknown) => void,
    eventSeq = 0,
  ) {
    this.eventSeq = eventSeq;
  }

  /** Writes the topology's model version, an initial deployment and the routing config if absent. */
  async seed(topology: Topology): Promise<void> {
    const puts: [string, string][] = [];
    if (!(await this.store.get(STATE_KEYS.model(topology.model.name)))) {
      const model: ModelVersionRecord = { name: topology.model.name, version: topology.model.version, registeredAtMs: this.clock.nowMs() };
      puts.push([STATE_KEYS.model(topology.model.name), JSON.stringify(model)]);
      const deployment: DeploymentRecord = { id: `initial-${topology.model.version}`, model: topology.model.name, version: topology.model.version, state: 'active', atMs: this.clock.nowMs() };
      puts.push([STATE_KEYS.deployment(deployment.id), JSON.stringify(deployment)]);
    }
    if (!(await this.store.get(STATE_KEYS.routingConfig))) {
      puts.push([STATE_KEYS.routingConfig, JSON.stringify({ clusters: topology.clusters.map((c) => ({ id: c.id, role: c.role, minHealthyFraction: c.minHealthyFraction })) })]);
    }
    if (puts.length) await this.store.batch(puts);
  }

  /** Records a leader term (one more than the stored one); returns it. */
  async nextTerm(): Promise<number> {
    const term = Number((await this.store.get(STATE_KEYS.leaderTerm)) ?? 0) + 1;
    await this.store.put(STATE_KEYS.leaderTerm, String(term));
    return term;
  }

  replica(entry: ReplicaEntry): void {
    this.enqueue(STATE_KEYS.replica(entry.id), JSON.stringify(replicaRecord(entry)));
  }

  published(snapshot: RoutableSnapshot, serving: { serving: readonly string[]; failed: readonly string[]; version: number }): void {
    this.enqueue(STATE_KEYS.snapshot, JSON.stringify(snapshot));
    this.enqueue(STATE_KEYS.serving, JSON.stringify(serving));
  }

  event(e: LabEvent): void {
    this.eventSeq += 1;
    this.enqueue(STATE_KEYS.event(this.eventSeq), JSON.stringify(e));
    const old = this.eventSeq - EVENTS_KEEP;
    if (old > 0) this.pending.set(STATE_KEYS.event(old), null);
  }

  /** Resolves when everything enqueued so far is in the store. */
  flushed(): Promise<void> {
    if (!this.writing && this.pending.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idle.push(resolve));
  }

  private enqueue(key: string, value: string): void {
    this.pending.set(key, value);
    void this.drain();
  }

  private async drain(): Promise<void> {
    if (this.writing) return;
    this.writing = true;
    try {
      while (this.pending.size > 0) {
        const batch = this.pending;
        this.pending = new Map();
        const puts = [...batch].filter((e): e is [string, string] => e[1] !== null);
        const deletes = [...batch].filter(([, v]) => v === null).map(([k]) => k);
        try {
          await this.store.batch(puts, deletes);
        } catch (err) {
          this.onError(`writing ${batch.size} key(s) to ${this.store.kind} store ${this.store.location} failed: ${(err as Error).message}`, err);
        }
      }
    } finally {
      this.writing = false;
      for (const fn of this.idle.splice(0)) fn();
    }
  }
}
