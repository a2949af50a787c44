// Control-plane backups: a snapshot of every key of the state store, written to an object store
// as one file — a header line {format, createdAtMs, keys, bytes, sha256} and the JSON body — so a
// truncated or corrupted file is detected (length and SHA-256) and refused before anything is
// touched. Retention keeps the newest `retain` snapshots.
import { createHash } from 'node:crypto';
import { HalabError } from '../core/errors.js';
import type { ObjectStore } from './object-store.js';
import type { StateStore } from './state-store.js';

export const BACKUP_FORMAT = 'halab-backup/1';
const ELECTION_PREFIX = 'election/';
const NAME_RE = /^cp-\d{13}-[0-9a-z]+\.backup$/;

export interface BackupHeader {
  readonly format: string;
  readonly createdAtMs: number;
  readonly keys: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly source: string;
}

export interface Snapshot {
  readonly header: BackupHeader;
  readonly data: ReadonlyMap<string, string>;
}

export function encodeBackup(data: ReadonlyMap<string, string>, createdAtMs: number, source: string): Buffer {
  const body = Buffer.from(JSON.stringify(Object.fromEntries(data)), 'utf8');
  const header: BackupHeader = { format: BACKUP_FORMAT, createdAtMs, keys: data.size, bytes: body.length, sha256: createHash('sha256').update(body).digest('hex'), source };
  return Buffer.concat([Buffer.from(JSON.stringify(header) + '\n', 'utf8'), body]);
}

/** Parses and verifies a backup file; BACKUP_CORRUPT names what is wrong. */
export function decodeBackup(bytes: Buffer, where: string): Snapshot {
  const corrupt = (what: string): HalabError =>
    new HalabError('BACKUP_CORRUPT', `backup ${where} is unusable: ${what}; nothing was restored or overwritten`, 'restore from another snapshot (`halab backup --list`, then `halab restore --from <name>`)');
  const nl = bytes.indexOf(0x0a);
  if (nl < 0) throw corrupt('no header line (truncated or not a halab backup)');
  let header: BackupHeader;
  try {
    header = JSON.parse(bytes.subarray(0, nl).toString('utf8')) as BackupHeader;
  } catch {
    throw corrupt('the header is not JSON');
  }
  if (header.format !== BACKUP_FORMAT) throw corrupt(`format "${String(header.format)}", expected ${BACKUP_FORMAT}`);
  const body = bytes.subarray(nl + 1);
  if (body.length !== header.bytes) throw corrupt(`body is ${body.length} bytes, the header says ${header.bytes} (truncated)`);
  const sha = createHash('sha256').update(body).digest('hex');
  if (sha !== header.sha256) throw corrupt(`SHA-256 mismatch (file ${sha.slice(0, 12)}…, header ${String(header.sha256).slice(0, 12)}…): the content is corrupted`);
  let obj: Record<string, string>;
  try {
    obj = JSON.parse(body.toString('utf8')) as Record<string, string>;
  } catch {
    throw corrupt('the body is not JSON');
  }
  const data = new Map(Object.entries(obj));
  if (data.size !== header.keys) throw corrupt(`${data.size} keys, the header says ${header.keys}`);
  return { header, data };
}

export function backupName(createdAtMs: number, seq: number): string {
  return `cp-${String(Math.floor(createdAtMs)).padStart(13, '0')}-${seq.toString(36)}.backup`;
}

export interface BackupResult {
  readonly name: string;
  readonly url: string;
  readonly keys: number;
  readonly bytes: number;
  readonly sha256: string;
  readonly pruned: readonly string[];
}

let backupSeq = 0;

/** Snapshots every key of `store` into `objects`, then deletes all but the newest `retain`. */
export async function takeBackup(store: StateStore, objects: ObjectStore, nowMs: number, retain: number, source: string): Promise<BackupResult> {
  // Election keys belong to live leases; a restored copy would name a leader that is gone.
  const data = new Map([...(await store.list(''))].filter(([k]) => !k.startsWith(ELECTION_PREFIX)));
  const bytes = encodeBackup(data, nowMs, source);
  const name = backupName(nowMs, backupSeq++);
  await objects.put(name, bytes);
  const header = JSON.parse(bytes.subarray(0, bytes.indexOf(0x0a)).toString('utf8')) as BackupHeader;
  const all = (await listBackups(objects)).filter((n) => n !== name);
  const pruned = all.slice(0, Math.max(0, all.length + 1 - retain));
  for (const n of pruned) await objects.delete(n);
  return { name, url: objects.urlOf(name), keys: data.size, bytes: bytes.length, sha256: header.sha256, pruned };
}

/** Backup names in the store, oldest first. */
export async function listBackups(objects: ObjectStore): Promise<string[]> {
  return (await objects.list()).filter((n) => NAME_RE.test(n)).sort();
}

/** Reads and verifies a snapshot (by name, or the newest). */
export async function readBackup(objects: ObjectStore, name?: string): Promise<{ name: string; snapshot: Snapshot }> {
  const chosen = name ?? (await listBackups(objects)).at(-1);
  if (!chosen) throw new HalabError('NOT_FOUND', `no backups in ${objects.url}`, 'take one with `halab backup`');
  return { name: chosen, snapshot: decodeBackup(await objects.get(chosen), objects.urlOf(chosen)) };
}

/** Replaces everything in `store` (but live election keys) with the snapshot's keys. */
export async function loadSnapshotInto(store: StateStore, snapshot: Snapshot): Promise<void> {
  const stale = [...(await store.list('')).keys()].filter((k) => !k.startsWith(ELECTION_PREFIX));
  await store.batch([...snapshot.data].filter(([k]) => !k.startsWith(ELECTION_PREFIX)), stale.filter((k) => !snapshot.data.has(k)));
}
