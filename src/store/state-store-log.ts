// The embedded state store: an append-only log file of put/delete records, each framed as
// [u32 length][u32 crc32][JSON payload], fsync'd before a write resolves (writes that arrive while
// a flush runs are committed together with the next one: group commit). On open the log is
// replayed; a torn last record (a crash mid-write) is cut off, a damaged record anywhere else is
// refused as STATE_CORRUPT. A log much longer than its live keys is compacted (on open, and while
// running once every queued write is durable), so its size stays bounded by the live data.
import { closeSync, existsSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync, ftruncateSync } from 'node:fs';
import { open, type FileHandle } from 'node:fs/promises';
import { dirname } from 'node:path';
import { crc32 } from 'node:zlib';
import { HalabError } from '../core/errors.js';
import { sortedMap, type StateStore } from './state-store.js';

const HEADER_BYTES = 8;
/** Compact on open when the log holds more than this many records and 4× the live keys. */
const COMPACT_MIN_RECORDS = 2000;
/** A single record larger than this is refused (bounded memory on replay). */
export const RECORD_MAX_BYTES = 16 << 20;

type Op = { readonly o: 'p'; readonly k: string; readonly v: string } | { readonly o: 'd'; readonly k: string };

export function encodeRecord(op: Op): Buffer {
  const payload = Buffer.from(JSON.stringify(op), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

export interface Replay {
  readonly data: Map<string, string>;
  readonly records: number;
  /** Bytes of intact records; anything after is a torn tail. */
  readonly goodBytes: number;
  readonly tornBytes: number;
}

/** Replays a log's bytes; throws STATE_CORRUPT for damage before the last record. */
export function replayLog(bytes: Buffer, file: string): Replay {
  const data = new Map<string, string>();
  let offset = 0;
  let records = 0;
  while (offset < bytes.length) {
    if (bytes.length - offset < HEADER_BYTES) break; // torn header
    const length = bytes.readUInt32LE(offset);
    const crc = bytes.readUInt32LE(offset + 4);
    const end = offset + HEADER_BYTES + length;
    if (length > RECORD_MAX_BYTES || end > bytes.length) {
      if (length > RECORD_MAX_BYTES && end < bytes.length) {
        throw new HalabError('STATE_CORRUPT', `state log ${file}: record at byte ${offset} claims ${length} bytes (limit ${RECORD_MAX_BYTES})`, 'restore the state from a backup (`halab restore`)');
      }
      break; // torn payload
    }
    const payload = bytes.subarray(offset + HEADER_BYTES, end);
    let op: Op | undefined;
    if (crc32(payload) === crc) {
      try {
        op = JSON.parse(payload.toString('utf8')) as Op;
      } catch {
        op = undefined;
      }
    }
    if (!op || typeof op.k !== 'string') {
      if (end === bytes.length) break; // the last record was torn mid-write
      throw new HalabError('STATE_CORRUPT', `state log ${file}: record at byte ${offset} fails its checksum and more records follow (not a torn write)`, 'restore the state from a backup (`halab restore`)');
    }
    if (op.o === 'p') data.set(op.k, op.v);
    else data.delete(op.k);
    records += 1;
    offset = end;
  }
  return { data, records, goodBytes: offset, tornBytes: bytes.length - offset };
}

interface Pending {
  readonly bytes: Buffer;
  readonly ops: number;
  readonly resolve: () => void;
  readonly reject: (err: Error) => void;
}

export class LogStateStore implements StateStore {
  readonly kind = 'embedded' as const;
  private queue: Pending[] = [];
  private flushRun: Promise<void> | undefined;
  private closed = false;
  /** Records in the file now (replayed + appended), for compaction while running. */
  private records: number;
  /** Times the log was compacted while open. */
  compactions = 0;

  private constructor(
    readonly location: string,
    private handle: FileHandle,
    private readonly data: Map<string, string>,
    /** What replay found, for logs and tests. */
    readonly recovered: { readonly records: number; readonly tornBytes: number; readonly compacted: boolean },
  ) {
    this.records = recovered.compacted ? data.size : recovered.records;
  }

  /** Opens the log at `file` (creating it), cutting a torn tail and compacting when worthwhile. */
  static async open(file: string): Promise<LogStateStore> {
    mkdirSync(dirname(file), { recursive: true });
    const bytes = existsSync(file) ? readFileSync(file) : Buffer.alloc(0);
    const replay = replayLog(bytes, file);
    let compacted = false;
    if (replay.records > COMPACT_MIN_RECORDS && replay.records > 4 * replay.data.size) {
      writeCompacted(file, replay.data);
      compacted = true;
    } else if (replay.tornBytes > 0) {
      const fd = openSync(file, 'r+');
      ftruncateSync(fd, replay.goodBytes);
      fsyncSync(fd);
      closeSync(fd);
    }
    const handle = await open(file, 'a');
    return new LogStateStore(file, handle, replay.data, { records: replay.records, tornBytes: replay.tornBytes, compacted });
  }

  async get(key: string): Promise<string | undefined> {
    return this.data.get(key);
  }

  put(key: string, value: string): Promise<void> {
    return this.batch([[key, value]]);
  }

  delete(key: string): Promise<void> {
    return this.batch([], [key]);
  }

  batch(puts: readonly (readonly [string, string])[], deletes: readonly string[] = []): Promise<void> {
    if (this.closed) return Promise.reject(new HalabError('INTERNAL', `state store ${this.location} is closed`));
    const ops: Op[] = [...puts.map(([k, v]) => ({ o: 'p' as const, k, v })), ...deletes.filter((k) => this.data.has(k)).map((k) => ({ o: 'd' as const, k }))];
    for (const op of ops) {
      if (op.o === 'p') this.data.set(op.k, op.v);
      else this.data.delete(op.k);
    }
    if (ops.length === 0) return Promise.resolve();
    const bytes = Buffer.concat(ops.map(encodeRecord));
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ bytes, ops: ops.length, resolve, reject });
      void this.flush();
    });
  }

  async list(prefix: string): Promise<Map<string, string>> {
    return sortedMap([...this.data].filter(([k]) => k.startsWith(prefix)));
  }

  async deletePrefix(prefix: string): Promise<void> {
    await this.batch([], [...this.data.keys()].filter((k) => k.startsWith(prefix)));
  }

  async close(): Promise<void> {
    // wait on the running flush itself: a loop on a flag alone never yields to its I/O (it spun a
    // control plane at 100 % CPU until SIGKILL when a write was in flight at SIGTERM)
    while (this.flushRun || this.queue.length > 0) await this.flush();
    this.closed = true;
    await this.handle.close();
  }

  /**
   * Bounded size while running: rewrites the log with the live keys only (every write so far is
   * durable, and the in-memory map holds exactly them), then appends to the new file.
   */
  private async compactNow(): Promise<void> {
    await this.handle.close();
    try {
      writeCompacted(this.location, this.data);
      this.records = this.data.size;
      this.compactions += 1;
    } catch {
      // the old log is intact (the rename is atomic); keep appending to it and try again later
      this.records = Math.floor(this.records / 2);
    } finally {
      this.handle = await open(this.location, 'a');
    }
  }

  /** The running flush, or a new one: writes everything queued in one write + fdatasync; repeats while more arrived meanwhile. */
  private flush(): Promise<void> {
    this.flushRun ??= this.drain().finally(() => {
      this.flushRun = undefined;
      // a write queued after the drain's last look (by a caller its last batch just resolved)
      if (this.queue.length > 0) void this.flush();
    });
    return this.flushRun;
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue;
      this.queue = [];
      try {
        await this.handle.write(Buffer.concat(batch.map((p) => p.bytes)));
        await this.handle.datasync();
        this.records += batch.reduce((n, p) => n + p.ops, 0);
        for (const p of batch) p.resolve();
      } catch (err) {
        for (const p of batch) p.reject(new HalabError('INTERNAL', `state store ${this.location}: write failed: ${(err as Error).message}`));
      }
      if (this.queue.length === 0 && this.records > COMPACT_MIN_RECORDS && this.records > 4 * this.data.size) await this.compactNow();
    }
  }
}

/** Rewrites the log with one put per live key (temp file, fsync, rename, fsync the directory). */
function writeCompacted(file: string, data: Map<string, string>): void {
  const tmp = `${file}.compact`;
  const fd = openSync(tmp, 'w');
  try {
    for (const [k, v] of data) writeSync(fd, encodeRecord({ o: 'p', k, v }));
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
  const dir = openSync(dirname(file), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}
