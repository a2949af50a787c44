// The etcd state store: the same interface over an etcd v3 cluster (the etcd3 client), every key
// under a prefix that isolates one lab. A put resolves once etcd has committed it.
import { Etcd3, type Namespace } from 'etcd3';
import { HalabError } from '../core/errors.js';
import { sortedMap, type StateStore } from './state-store.js';

export class EtcdStateStore implements StateStore {
  readonly kind = 'etcd' as const;
  /** Fencing: when set, a write commits only while this key (the leader's election key) exists. */
  private guardKey: string | undefined;

  private constructor(
    readonly location: string,
    readonly client: Etcd3 | undefined,
    private readonly ns: Namespace,
  ) {}

  /** A store over a namespace the caller owns (the virtual-time harness's in-memory etcd). */
  static over(ns: Namespace, location: string): EtcdStateStore {
    return new EtcdStateStore(location, undefined, ns);
  }

  static async open(endpoints: readonly string[], prefix: string): Promise<EtcdStateStore> {
    if (endpoints.length === 0) throw new HalabError('CONFIG_INVALID', 'etcd state store needs at least one endpoint');
    const client = new Etcd3({ hosts: [...endpoints], dialTimeout: 2000 });
    const store = new EtcdStateStore(endpoints.join(','), client, client.namespace(prefix));
    try {
      await store.ns.get('meta/ping').string();
    } catch (err) {
      client.close();
      throw new HalabError('UPSTREAM_FAILED', `etcd at ${store.location} does not answer: ${(err as Error).message}`, 'is etcd running? (`halab up` starts it for topologies with controlPlane.store: etcd)');
    }
    return store;
  }

  /** The namespaced client, for leader election under the same prefix. */
  namespace(): Namespace {
    return this.ns;
  }

  async get(key: string): Promise<string | undefined> {
    return (await this.ns.get(key).string()) ?? undefined;
  }

  /**
   * From now on every put/batch/delete commits only while `key` exists — the election key bound to
   * this instance's leader lease — so a deposed leader can never overwrite its successor's state.
   */
  setGuard(key: string): void {
    this.guardKey = key;
  }

  async put(key: string, value: string): Promise<void> {
    await this.batch([[key, value]]);
  }

  async batch(puts: readonly (readonly [string, string])[], deletes: readonly string[] = []): Promise<void> {
    if (puts.length === 0 && deletes.length === 0) return;
    // Transactions of at most 100 operations (etcd's default limit is 128 per transaction).
    const ops = [...puts.map(([k, v]) => this.ns.put(k).value(v)), ...deletes.map((k) => this.ns.delete().key(k))];
    for (let i = 0; i < ops.length; i += 100) {
      const guard = this.guardKey;
      const txn = guard ? this.ns.if(guard, 'Create', '>', 0) : this.ns.if('meta/ping', 'Version', '>', -1);
      const result = await txn.then(...ops.slice(i, i + 100)).commit();
      if (!result.succeeded) {
        throw new HalabError('NOT_LEADER', `write to etcd refused: this instance no longer holds the leader lease (${guard})`, 'a new leader owns the state; this instance stops');
      }
    }
  }

  async delete(key: string): Promise<void> {
    await this.batch([], [key]);
  }

  async list(prefix: string): Promise<Map<string, string>> {
    const all = await this.ns.getAll().prefix(prefix).strings();
    return sortedMap(Object.entries(all));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.ns.delete().prefix(prefix);
  }

  async close(): Promise<void> {
    this.client?.close();
  }
}
