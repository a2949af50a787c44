// An in-memory etcd for the harness, with the semantics the control plane's HA code relies on:
// one revision counter; keys with create/mod revisions, optionally attached to a lease; leases
// with a TTL on the VirtualClock, renewed by keep-alives and, once expired, deleting their keys;
// transactions that commit their operations only when their compare holds. On top of it, the
// subset of the etcd3 client's Namespace that the production EtcdStateStore uses (so its fenced
// writes run unchanged), and an election with etcd's algorithm (etcd3's Campaign / the Go
// client's concurrency.Election): each candidate puts `<election>/<leaseId>` on its lease, and
// the candidate whose key has the lowest create revision leads; the others wait for the deletion
// of every older key. Each client reaches this etcd through a link the harness can cut (a paused
// or partitioned control-plane instance): its keep-alives are lost while it is cut.
import { EventEmitter } from 'node:events';
import type { Clock, TimerHandle } from '../../core/clock.js';

interface Kv {
  value: string;
  readonly createRevision: number;
  modRevision: number;
  readonly lease: string | undefined;
}

interface Lease {
  readonly ttlMs: number;
  expiresAtMs: number;
  timer: TimerHandle;
  readonly keys: Set<string>;
}

/** A committed write: who wrote (the client's name), at which revision, which keys. */
export interface CommitRecord {
  readonly client: string;
  readonly revision: number;
  readonly keys: readonly string[];
}

/** What every election key's path holds (the leadership module's keys live under it). */
const ELECTION = '/election/';

export class SimEtcd {
  revision = 1;
  private readonly kv = new Map<string, Kv>();
  private readonly leases = new Map<string, Lease>();
  private nextLease = 0x1000;
  private readonly deleteWatchers = new Map<string, (() => void)[]>();
  private readonly changeWatchers = new Set<() => void>();
  /** Called on every committed write of a client's state (not the election's own keys). */
  onCommit: (c: CommitRecord) => void = () => undefined;

  constructor(private readonly clock: Clock) {}

  grant(ttlMs: number): string {
    const id = (this.nextLease++).toString(10);
    const lease: Lease = { ttlMs, expiresAtMs: this.clock.nowMs() + ttlMs, timer: { cancel: () => undefined }, keys: new Set() };
    this.leases.set(id, lease);
    this.armExpiry(id, lease);
    return id;
  }

  /** Renews a lease; false when it has expired (or was revoked). */
  keepAlive(id: string): boolean {
    const lease = this.leases.get(id);
    if (!lease) return false;
    lease.expiresAtMs = this.clock.nowMs() + lease.ttlMs;
    lease.timer.cancel();
    this.armExpiry(id, lease);
    return true;
  }

  revoke(id: string): void {
    const lease = this.leases.get(id);
    if (!lease) return;
    lease.timer.cancel();
    this.leases.delete(id);
    for (const key of [...lease.keys]) this.deleteKey(key);
    this.revision += 1;
    this.changed();
  }

  private armExpiry(id: string, lease: Lease): void {
    lease.timer = this.clock.setTimer(lease.ttlMs, () => {
      if (this.leases.get(id) === lease && this.clock.nowMs() >= lease.expiresAtMs) this.revoke(id);
    });
  }

  get(key: string): Kv | undefined {
    return this.kv.get(key);
  }

  /** Keys under prefix, by create revision ascending. */
  byCreate(prefix: string): [string, Kv][] {
    return [...this.kv.entries()].filter(([k]) => k.startsWith(prefix)).sort((a, b) => a[1].createRevision - b[1].createRevision);
  }

  /** The key under prefix with the lowest create revision (byCreate's first, without sorting). */
  firstByCreate(prefix: string): [string, Kv] | undefined {
    let first: [string, Kv] | undefined;
    for (const [k, kv] of this.kv) if (k.startsWith(prefix) && (!first || kv.createRevision < first[1].createRevision)) first = [k, kv];
    return first;
  }

  put(key: string, value: string, lease?: string): void {
    const l = lease === undefined ? undefined : this.leases.get(lease);
    if (lease !== undefined && !l) throw new Error(`etcdserver: requested lease not found (${lease})`);
    const old = this.kv.get(key);
    if (old && old.lease === lease) {
      old.value = value;
      old.modRevision = this.revision;
    } else {
      if (old?.lease) this.leases.get(old.lease)?.keys.delete(key);
      this.kv.set(key, { value, createRevision: old ? old.createRevision : this.revision, modRevision: this.revision, lease });
      l?.keys.add(key);
    }
  }

  private deleteKey(key: string): void {
    const old = this.kv.get(key);
    if (!old) return;
    if (old.lease) this.leases.get(old.lease)?.keys.delete(key);
    this.kv.delete(key);
    const ws = this.deleteWatchers.get(key);
    this.deleteWatchers.delete(key);
    // watchers hear of it after the transaction, as a watch event would arrive
    for (const w of ws ?? []) queueMicrotask(w);
  }

  /**
   * One transaction: if every compare holds, apply the operations at one new revision. A compare
   * `exists` holds while the key is there (etcd: `Create > 0`).
   */
  txn(client: string, compares: readonly { key: string; exists: boolean }[], puts: readonly (readonly [string, string, string?])[], deletes: readonly string[], deletePrefixes: readonly string[] = []): boolean {
    const ok = compares.every((c) => this.kv.has(c.key) === c.exists);
    if (!ok) return false;
    this.revision += 1;
    for (const [k, v, lease] of puts) this.put(k, v, lease);
    for (const k of deletes) this.deleteKey(k);
    let electionKeyGone = false;
    for (const p of deletePrefixes) {
      for (const k of [...this.kv.keys()]) {
        if (!k.startsWith(p)) continue;
        electionKeyGone ||= k.includes(ELECTION);
        this.deleteKey(k);
      }
    }
    const keys = [...puts.map(([k]) => k), ...deletes, ...deletePrefixes];
    const election = keys.some((k) => k.includes(ELECTION));
    if (!election) this.onCommit({ client, revision: this.revision, keys });
    // the observers read the election's leader: only a change of an election key can move it
    if (election || electionKeyGone) this.changed();
    return true;
  }

  /** Calls fn once `key` is deleted (at once if it does not exist). */
  onDelete(key: string, fn: () => void): void {
    if (!this.kv.has(key)) return void queueMicrotask(fn);
    const ws = this.deleteWatchers.get(key) ?? [];
    ws.push(fn);
    this.deleteWatchers.set(key, ws);
  }

  /** Calls fn after every change that may move an election's leader (election observers). */
  watchChanges(fn: () => void): () => void {
    this.changeWatchers.add(fn);
    return () => this.changeWatchers.delete(fn);
  }

  private changed(): void {
    for (const w of this.changeWatchers) queueMicrotask(w);
  }
}

/** A client's way to the etcd: cut while the client is paused or partitioned from it. */
export interface SimLink {
  readonly name: string;
  up(): boolean;
}

/** A client's round trip to etcd, ms. */
const ETCD_RTT_MS = 1;

const linkDown = (link: SimLink): Error => new Error(`14 UNAVAILABLE: ${link.name} cannot reach etcd`);

/** A transaction builder with the shape of etcd3's ComparatorBuilder, for the compare the store uses. */
class SimTxn {
  private ops: SimOp[] = [];

  constructor(
    private readonly ns: SimNamespace,
    private readonly compares: { key: string; exists: boolean }[],
  ) {}

  then(...ops: SimOp[]): this {
    this.ops = ops;
    return this;
  }

  async commit(): Promise<{ succeeded: boolean }> {
    return { succeeded: this.ns.apply(this.compares, this.ops) };
  }
}

type SimOp = { kind: 'put'; key: string; value: string } | { kind: 'delete'; key: string } | { kind: 'delete-prefix'; prefix: string };

/**
 * The subset of etcd3's Namespace that EtcdStateStore and the leadership module use, over a
 * SimEtcd, as seen by one client through its link.
 */
export class SimNamespace {
  readonly prefix: Buffer;

  constructor(
    readonly etcd: SimEtcd,
    private readonly clock: Clock,
    readonly link: SimLink,
    private readonly root: string,
  ) {
    this.prefix = Buffer.from(root);
  }

  private check(): void {
    if (!this.link.up()) throw linkDown(this.link);
  }

  if(key: string, target: string, op: string, value: number): SimTxn {
    // the forms the production code uses: `Create > 0` (the key exists), `Version > -1` (always)
    if (target === 'Create' && op === '>' && value === 0) return new SimTxn(this, [{ key: this.root + key, exists: true }]);
    if (target === 'Version' && op === '>' && value === -1) return new SimTxn(this, []);
    throw new Error(`the simulated etcd does not compare ${target} ${op} ${value}`);
  }

  put(key: string): { value(v: string): SimOp } {
    return { value: (v) => ({ kind: 'put', key: this.root + key, value: v }) };
  }

  delete(): { key(k: string): SimOp; prefix(p: string): Promise<void> } {
    return {
      key: (k) => ({ kind: 'delete', key: this.root + k }),
      prefix: async (p) => {
        this.check();
        this.etcd.txn(this.link.name, [], [], [], [this.root + p]);
      },
    };
  }

  get(key: string): { string(): Promise<string | null> } {
    return {
      string: async () => {
        this.check();
        return this.etcd.get(this.root + key)?.value ?? null;
      },
    };
  }

  getAll(): { prefix(p: string): { strings(): Promise<Record<string, string>> } } {
    return {
      prefix: (p) => ({
        strings: async () => {
          this.check();
          const out: Record<string, string> = {};
          for (const [k, kv] of this.etcd.byCreate(this.root + p)) out[k.slice(this.root.length)] = kv.value;
          return out;
        },
      }),
    };
  }

  apply(compares: readonly { key: string; exists: boolean }[], ops: readonly SimOp[]): boolean {
    this.check();
    const puts = ops.flatMap((o) => (o.kind === 'put' ? [[o.key, o.value] as const] : []));
    const deletes = ops.flatMap((o) => (o.kind === 'delete' ? [o.key] : []));
    const prefixes = ops.flatMap((o) => (o.kind === 'delete-prefix' ? [o.prefix] : []));
    return this.etcd.txn(this.link.name, compares, puts, deletes, prefixes);
  }

  election(name: string, ttlS: number): SimElection {
    return new SimElection(this.etcd, this.clock, this.link, `${this.root}election/${name}/`, ttlS * 1000);
  }
}

/** etcd's election over the SimEtcd (see the module comment). */
export class SimElection {
  constructor(
    private readonly etcd: SimEtcd,
    private readonly clock: Clock,
    private readonly link: SimLink,
    /** Full key prefix of the election's keys. */
    readonly prefix: string,
    private readonly ttlMs: number,
  ) {}

  /** The value of the key with the lowest create revision: the leader, per the store. */
  leader(): string | undefined {
    return this.etcd.firstByCreate(this.prefix)?.[1].value;
  }

  async observe(): Promise<SimObserver> {
    if (!this.link.up()) throw linkDown(this.link);
    return new SimObserver(this.etcd, () => this.leader());
  }

  campaign(value: string): SimCampaign {
    return new SimCampaign(this.etcd, this.clock, this.link, this.prefix, this.ttlMs, value);
  }
}

export class SimObserver extends EventEmitter {
  private current: string | undefined;
  private readonly stop: () => void;

  constructor(etcd: SimEtcd, read: () => string | undefined) {
    super();
    this.current = read();
    this.stop = etcd.watchChanges(() => {
      const next = read();
      if (next !== this.current) {
        this.current = next;
        this.emit('change', next);
      }
    });
  }

  leader(): string | undefined {
    return this.current;
  }

  async cancel(): Promise<void> {
    this.stop();
  }
}

/**
 * A candidate: grants a lease, puts its key, waits until every older key is gone, then is
 * elected; keeps its lease alive every third of the TTL while its link is up, and emits `error`
 * once a keep-alive finds the lease gone (etcd3: the lease's `lost` event).
 */
export class SimCampaign extends EventEmitter {
  private readonly leaseId: string;
  private readonly key: string;
  private resigned = false;
  private keepAliveTimer: TimerHandle | undefined;

  constructor(
    private readonly etcd: SimEtcd,
    private readonly clock: Clock,
    private readonly link: SimLink,
    prefix: string,
    private readonly ttlMs: number,
    value: string,
  ) {
    super();
    this.leaseId = etcd.grant(ttlMs);
    this.key = prefix + this.leaseId;
    etcd.put(this.key, value, this.leaseId);
    etcd.revision += 1;
    this.keepAlive();
    // the campaign's first answer from etcd is a round trip away
    this.clock.setTimer(ETCD_RTT_MS, () => this.waitForElected(prefix));
  }

  private waitForElected(prefix: string): void {
    if (this.resigned) return;
    const mine = this.etcd.get(this.key);
    if (!mine) return;
    const older = this.etcd.byCreate(prefix).filter(([, kv]) => kv.createRevision < mine.createRevision);
    if (older.length === 0) return void this.emit('elected');
    this.etcd.onDelete(older[older.length - 1]![0], () => this.waitForElected(prefix));
  }

  private keepAlive(): void {
    this.keepAliveTimer = this.clock.setTimer(Math.max(1, Math.floor(this.ttlMs / 3)), () => {
      if (this.resigned) return;
      if (this.link.up() && !this.etcd.keepAlive(this.leaseId)) {
        this.resigned = true;
        this.emit('error', new Error(`lease ${this.leaseId} lost: it expired while this instance could not renew it`));
        return;
      }
      this.keepAlive();
    });
  }

  async getCampaignKey(): Promise<string> {
    return this.key;
  }

  async resign(): Promise<void> {
    if (this.resigned) return;
    this.resigned = true;
    this.keepAliveTimer?.cancel();
    if (this.link.up()) this.etcd.revoke(this.leaseId);
  }
}
