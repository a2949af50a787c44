// The control plane's durable state behind one interface: an embedded append-only log on disk
// (the default) or etcd. Keys are slash-separated paths (replicas/<id>, routing/snapshot, ...);
// values are JSON text. Every put is durable (fsync'd, or committed by etcd) when it resolves.

export interface StateStore {
  readonly kind: 'embedded' | 'etcd';
  /** Where the state lives (a file path or etcd endpoints), for messages. */
  readonly location: string;
  get(key: string): Promise<string | undefined>;
  put(key: string, value: string): Promise<void>;
  /** Several puts and deletes; durable together when it resolves. */
  batch(puts: readonly (readonly [string, string])[], deletes?: readonly string[]): Promise<void>;
  delete(key: string): Promise<void>;
  /** Every key under prefix ('' for all), sorted by key. */
  list(prefix: string): Promise<Map<string, string>>;
  /** Removes every key under prefix. */
  deletePrefix(prefix: string): Promise<void>;
  close(): Promise<void>;
}

export interface StateStoreConfig {
  readonly kind: 'embedded' | 'etcd';
  /** embedded: the log file. */
  readonly file?: string;
  /** etcd: client endpoints, e.g. http://127.0.0.1:2379. */
  readonly endpoints?: readonly string[];
  /** etcd: key prefix isolating this lab (default halab/). */
  readonly prefix?: string;
}

/** Opens (and for the embedded log, recovers) the configured store. */
export async function openStateStore(config: StateStoreConfig): Promise<StateStore> {
  if (config.kind === 'etcd') {
    const { EtcdStateStore } = await import('./state-store-etcd.js');
    return EtcdStateStore.open(config.endpoints ?? [], config.prefix ?? 'halab/');
  }
  const { LogStateStore } = await import('./state-store-log.js');
  if (!config.file) throw new Error('embedded state store needs a file');
  return LogStateStore.open(config.file);
}

/** Sorted copy of a map by key. */
export function sortedMap(entries: Iterable<[string, string]>): Map<string, string> {
  return new Map([...entries].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0)));
}
