// Stored completions (OpenAI `store: true`): a region keeps each stored chat.completion in its own
// durable store (the embedded log, fsync'd) before the client sees the answer end, and queues it
// for every peer region. Records received from a peer are stored but not forwarded again.
// Keys: c/<id> → the completion JSON; pending/<peer>/<seq> → {id, atMs} until the peer acks.
import type { Clock } from '../../core/clock.js';
import type { StateStore } from '../../store/state-store.js';

export interface StoredCompletion {
  readonly id: string;
  readonly object: 'chat.completion';
  readonly created: number;
  readonly model: string;
  readonly choices: readonly unknown[];
  readonly usage?: unknown;
  readonly metadata?: Record<string, string>;
  readonly request: { readonly messages: readonly unknown[] };
  /** Region that accepted the write, and when (epoch ms); SHA-256 of the creating request's API key, when it had one. */
  readonly halab: { readonly region: string; readonly storedAtMs: number; readonly keyHash?: string };
}

export interface PendingRecord {
  readonly key: string;
  readonly seq: number;
  readonly id: string;
  readonly atMs: number;
}

const ID_RE = /^[A-Za-z0-9_.-]{1,200}$/;

export function validCompletionId(id: string): boolean {
  return ID_RE.test(id);
}

export class StoredCompletions {
  private seq = 0;
  private readonly pending = new Map<string, PendingRecord[]>();
  private readonly waiters = new Set<() => void>();

  private constructor(
    private readonly store: StateStore,
    readonly region: string,
    readonly peers: readonly string[],
    private readonly clock: Clock,
  ) {
    for (const p of peers) this.pending.set(p, []);
  }

  static async open(store: StateStore, region: string, peers: readonly string[], clock: Clock): Promise<StoredCompletions> {
    const sc = new StoredCompletions(store, region, peers, clock);
    for (const [key, value] of await store.list('pending/')) {
      const [, peer, seqText] = key.split('/');
      const list = sc.pending.get(peer ?? '');
      if (!list) continue;
      const { id, atMs } = JSON.parse(value) as { id: string; atMs: number };
      const seq = Number(seqText);
      list.push({ key, seq, id, atMs });
      sc.seq = Math.max(sc.seq, seq);
    }
    for (const list of sc.pending.values()) list.sort((a, b) => a.seq - b.seq);
    return sc;
  }

  /** Stores a completion written here; resolves once it is durable (then the client may see it). */
  async save(c: StoredCompletion): Promise<void> {
    const atMs = this.clock.nowMs();
    const queued = this.peers.map((peer) => ({ peer, rec: { key: `pending/${peer}/${String(++this.seq).padStart(12, '0')}`, seq: this.seq, id: c.id, atMs } }));
    await this.store.batch([[`c/${c.id}`, JSON.stringify(c)], ...queued.map(({ rec }) => [rec.key, JSON.stringify({ id: rec.id, atMs })] as [string, string])]);
    for (const { peer, rec } of queued) this.pending.get(peer)!.push(rec);
    for (const w of this.waiters) w();
    this.waiters.clear();
  }

  async get(id: string): Promise<StoredCompletion | undefined> {
    const text = await this.store.get(`c/${id}`);
    return text ? (JSON.parse(text) as StoredCompletion) : undefined;
  }

  /** Stores records replicated from a peer (durable when it resolves). */
  async receive(records: readonly StoredCompletion[]): Promise<void> {
    await this.store.batch(records.filter((r) => validCompletionId(r.id)).map((r) => [`c/${r.id}`, JSON.stringify(r)]));
  }

  /** The oldest `max` records not yet acknowledged by `peer`, with their bodies. */
  async batchFor(peer: string, max: number): Promise<{ records: PendingRecord[]; bodies: StoredCompletion[] }> {
    const records = (this.pending.get(peer) ?? []).slice(0, max);
    const bodies: StoredCompletion[] = [];
    for (const r of records) {
      const c = await this.get(r.id);
      if (c) bodies.push(c);
    }
    return { records, bodies };
  }

  /** The peer stored these: forget them. */
  async acked(peer: string, records: readonly PendingRecord[]): Promise<void> {
    const done = new Set(records.map((r) => r.key));
    await this.store.batch([], [...done]);
    const list = this.pending.get(peer) ?? [];
    this.pending.set(peer, list.filter((r) => !done.has(r.key)));
  }

  pendingCount(peer: string): number {
    return this.pending.get(peer)?.length ?? 0;
  }

  /** Age of the oldest unacknowledged record for `peer`, ms (0 when caught up). */
  lagMs(peer: string): number {
    const oldest = this.pending.get(peer)?.[0];
    return oldest ? Math.max(0, this.clock.nowMs() - oldest.atMs) : 0;
  }

  /** Resolves at the next save. */
  nextWrite(): Promise<void> {
    return new Promise((resolve) => this.waiters.add(resolve));
  }
}
