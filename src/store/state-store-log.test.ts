import { appendFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeRecord, LogStateStore, replayLog } from './state-store-log.js';

const tmpFile = () => join(mkdtempSync(join(tmpdir(), 'halab-log-')), 'state.log');

describe('embedded log state store', () => {
  it('keeps puts and deletes across a reopen', async () => {
    const file = tmpFile();
    const a = await LogStateStore.open(file);
    await a.put('replicas/x', '{"n":1}');
    await a.batch([['replicas/y', '2'], ['models/m', 'v1']], ['replicas/x']);
    await a.close();
    const b = await LogStateStore.open(file);
    expect(await b.get('replicas/x')).toBeUndefined();
    expect([...(await b.list('replicas/'))]).toEqual([['replicas/y', '2']]);
    expect(await b.get('models/m')).toBe('v1');
    await b.close();
  });

  it('closes with a write in flight: waits for it (it once spun forever on the flush flag)', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    const write = s.put('replicas/a', '1');
    const later = s.put('replicas/b', '2');
    await s.close();
    await expect(Promise.all([write, later])).resolves.toBeDefined();
    const again = await LogStateStore.open(file);
    expect([...(await again.list('replicas/'))]).toEqual([['replicas/a', '1'], ['replicas/b', '2']]);
    await again.close();
  });

  it('commits writes issued together (group commit) and every one resolves', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    await Promise.all(Array.from({ length: 200 }, (_, i) => s.put(`k/${String(i).padStart(3, '0')}`, String(i))));
    await s.close();
    const again = await LogStateStore.open(file);
    expect((await again.list('k/')).size).toBe(200);
    expect(again.recovered.records).toBe(200);
    await again.close();
  });

  it('cuts a torn last record (a crash mid-write) and keeps appending after it', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    await s.put('a', '1');
    await s.put('b', '2');
    await s.close();
    const size = statSync(file).size;
    truncateSync(file, size - 3);
    const r = await LogStateStore.open(file);
    expect(r.recovered.tornBytes).toBeGreaterThan(0);
    expect(await r.get('a')).toBe('1');
    expect(await r.get('b')).toBeUndefined();
    await r.put('c', '3');
    await r.close();
    const again = await LogStateStore.open(file);
    expect(again.recovered.tornBytes).toBe(0);
    expect([...(await again.list(''))].map(([k]) => k)).toEqual(['a', 'c']);
    await again.close();
  });

  it('treats a half-written header at the end as torn', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    await s.put('a', '1');
    await s.close();
    appendFileSync(file, Buffer.from([7, 0, 0]));
    const r = await LogStateStore.open(file);
    expect(r.recovered.tornBytes).toBe(3);
    expect(await r.get('a')).toBe('1');
    await r.close();
  });

  it('refuses a damaged record that is followed by more (corruption, not a torn write)', async () => {
    const file = tmpFile();
    const first = encodeRecord({ o: 'p', k: 'a', v: '1' });
    first[first.length - 2]! ^= 0xff;
    writeFileSync(file, Buffer.concat([first, encodeRecord({ o: 'p', k: 'b', v: '2' })]));
    await expect(LogStateStore.open(file)).rejects.toMatchObject({ code: 'STATE_CORRUPT', message: expect.stringMatching(/byte 0 fails its checksum/) });
    // the file is left as it was
    expect(readFileSync(file).length).toBe(first.length * 2);
  });

  it('a damaged last record counts as torn', () => {
    const good = encodeRecord({ o: 'p', k: 'a', v: '1' });
    const bad = encodeRecord({ o: 'p', k: 'b', v: '2' });
    bad[bad.length - 1]! ^= 0x01;
    const r = replayLog(Buffer.concat([good, bad]), 'x');
    expect(r.data.get('a')).toBe('1');
    expect(r.data.has('b')).toBe(false);
    expect(r.goodBytes).toBe(good.length);
  });

  it('compacts while running, so a hot key does not grow the file without bound', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    for (let i = 0; i < 2500; i++) await s.batch([['hot', String(i)], ['events/' + String(i).padStart(6, '0'), 'e']], i >= 10 ? ['events/' + String(i - 10).padStart(6, '0')] : []);
    expect(s.compactions).toBeGreaterThan(0);
    await s.put('after', 'compaction');
    await s.close();
    expect(statSync(file).size).toBeLessThan(200_000);
    const again = await LogStateStore.open(file);
    expect(await again.get('hot')).toBe('2499');
    expect(await again.get('after')).toBe('compaction');
    expect((await again.list('events/')).size).toBe(10);
    await again.close();
  });

  it('compacts a log much longer than its live keys on open', async () => {
    const file = tmpFile();
    const s = await LogStateStore.open(file);
    for (let i = 0; i < 2100; i++) await s.put('hot', String(i));
    await s.close();
    // (the running compaction may have shrunk it already; make it long again without it)
    writeFileSync(file, Buffer.concat(Array.from({ length: 2100 }, (_, i) => encodeRecord({ o: 'p', k: 'hot', v: String(i) }))));
    const before = statSync(file).size;
    const c = await LogStateStore.open(file);
    expect(c.recovered.compacted).toBe(true);
    expect(await c.get('hot')).toBe('2099');
    await c.close();
    expect(statSync(file).size).toBeLessThan(before / 100);
  });
});
