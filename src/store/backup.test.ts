import { mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { decodeBackup, encodeBackup, listBackups, loadSnapshotInto, readBackup, takeBackup } from './backup.js';
import { openObjectStore } from './object-store.js';
import { LogStateStore } from './state-store-log.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'halab-backup-'));

describe('backups', () => {
  it('round-trips a snapshot and verifies length and checksum', () => {
    const data = new Map([['replicas/a', '{"x":1}'], ['models/m', 'v1']]);
    const bytes = encodeBackup(data, 1000, 'test');
    const s = decodeBackup(bytes, 'mem');
    expect([...s.data]).toEqual([...data]);
    expect(s.header.keys).toBe(2);
    expect(() => decodeBackup(bytes.subarray(0, bytes.length - 5), 'cut.backup')).toThrow(/cut\.backup is unusable: body is .* \(truncated\); nothing was restored/);
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 3]! ^= 0x20;
    expect(() => decodeBackup(flipped, 'flip.backup')).toThrow(/SHA-256 mismatch/);
    expect(() => decodeBackup(Buffer.from('hello'), 'junk')).toThrow(expect.objectContaining({ code: 'BACKUP_CORRUPT' }));
  });

  it('takes snapshots into a file:// store with retention, and restores one into a store', async () => {
    const dir = tmp();
    const store = await LogStateStore.open(join(dir, 'state.log'));
    const objects = openObjectStore(pathToFileURL(join(dir, 'backups')).href);
    await store.put('replicas/a', '1');
    await store.put('election/controlplane/123', 'addr');
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      await store.put('routing/version', String(i));
      const r = await takeBackup(store, objects, 1_000_000 + i, 3, 'test');
      names.push(r.name);
      if (i === 3) expect(r.pruned).toEqual([names[0]]);
    }
    expect(await listBackups(objects)).toEqual(names.slice(1));
    const { name, snapshot } = await readBackup(objects);
    expect(name).toBe(names[3]);
    expect(snapshot.data.get('routing/version')).toBe('3');
    expect(snapshot.data.has('election/controlplane/123')).toBe(false);

    const fresh = await LogStateStore.open(join(dir, 'fresh.log'));
    await fresh.put('stale/key', 'x');
    await fresh.put('election/controlplane/9', 'live');
    await loadSnapshotInto(fresh, snapshot);
    expect(await fresh.get('stale/key')).toBeUndefined();
    expect(await fresh.get('election/controlplane/9')).toBe('live');
    expect(await fresh.get('replicas/a')).toBe('1');
    await fresh.close();
    await store.close();
  });

  it('refuses a corrupted file in the store by name', async () => {
    const dir = tmp();
    const store = await LogStateStore.open(join(dir, 'state.log'));
    await store.put('k', 'v');
    const objects = openObjectStore(pathToFileURL(join(dir, 'b')).href);
    const r = await takeBackup(store, objects, 5, 10, 'test');
    const file = join(dir, 'b', readdirSync(join(dir, 'b'))[0]!);
    writeFileSync(file, readFileSync(file).subarray(0, 40));
    await expect(readBackup(objects, r.name)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT' });
    await expect(readBackup(objects, 'cp-0000000000000-0.backup')).rejects.toMatchObject({ code: 'NOT_FOUND' });
    await store.close();
  });

  it('rejects an unknown backup location', () => {
    expect(() => openObjectStore('ftp://x')).toThrow(/not file:\/\/\/path or s3:\/\/bucket/);
  });
});
