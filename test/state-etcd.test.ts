// The etcd state store and leader election against a real etcd (Debian's etcd-server) on
// 127.0.0.1 ephemeral ports: CRUD, transactions, and a leader whose process stops renewing its
// lease being replaced by the follower within the lease TTL.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { etcdLeadership } from '../src/controlplane/ha/leadership.js';
import { EtcdStateStore } from '../src/store/state-store-etcd.js';
import { etcdArgs, spawnEtcd, waitEtcdHealthy } from '../src/lab/etcd.js';
import { terminate } from '../src/process/reaper.js';
import { ROOT } from './helpers.js';

let dir: string;
let pid = 0;
let url = '';

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'halab-etcd-'));
  const a = await etcdArgs(dir);
  url = a.clientUrl;
  pid = spawnEtcd(dir, 'etcd', a.args);
  await waitEtcdHealthy(dir, 'etcd', pid, url, realClock);
}, 30_000);

afterAll(async () => {
  if (pid) await terminate([pid], realClock);
  rmSync(dir, { recursive: true, force: true });
});

describe('etcd state store', () => {
  it('puts, lists, batches and deletes under its prefix', async () => {
    const s = await EtcdStateStore.open([url], 'test-a/');
    const other = await EtcdStateStore.open([url], 'test-b/');
    await s.put('replicas/x', '1');
    await s.batch([['replicas/y', '2'], ['models/m', 'v1']], ['replicas/x']);
    await other.put('replicas/z', 'other lab');
    expect([...(await s.list('replicas/'))]).toEqual([['replicas/y', '2']]);
    expect(await s.get('models/m')).toBe('v1');
    await s.batch(Array.from({ length: 250 }, (_, i) => [`bulk/${String(i).padStart(3, '0')}`, String(i)] as [string, string]));
    expect((await s.list('bulk/')).size).toBe(250);
    await s.deletePrefix('');
    expect((await s.list('')).size).toBe(0);
    expect(await other.get('replicas/z')).toBe('other lab');
    // fenced writes: only while the guard key (a leader's election key) exists
    const fenced = await EtcdStateStore.open([url], 'test-a/');
    await s.put('election/controlplane/42', 'me');
    fenced.setGuard('election/controlplane/42');
    await fenced.put('routing/x', 'by the leader');
    await s.delete('election/controlplane/42'); // the lease is gone: someone else leads now
    await expect(fenced.put('routing/x', 'stale leader')).rejects.toMatchObject({ code: 'NOT_LEADER' });
    expect(await s.get('routing/x')).toBe('by the leader');
    await fenced.close();
    await s.close();
    await other.close();
  });

  it('refuses a dead endpoint with a clear error', async () => {
    await expect(EtcdStateStore.open(['http://127.0.0.1:1'], 'x/')).rejects.toMatchObject({ code: 'UPSTREAM_FAILED', message: expect.stringMatching(/etcd at http:\/\/127\.0\.0\.1:1 does not answer/) });
  }, 20_000);

  it('elects one leader; when its process dies the follower takes over within the lease TTL', async () => {
    // Candidate A runs in its own process so it can die for real (SIGKILL: no resign, no renewals).
    const script = [
      `import { EtcdStateStore } from ${JSON.stringify(join(ROOT, 'dist/src/store/state-store-etcd.js'))};`,
      `import { etcdLeadership } from ${JSON.stringify(join(ROOT, 'dist/src/controlplane/ha/leadership.js'))};`,
      `const s = await EtcdStateStore.open([${JSON.stringify(url)}], 'elect/');`,
      `await etcdLeadership(s, 'A', 1, { elected: () => console.log('elected'), lost: () => process.exit(9) });`,
    ].join('\n');
    const a = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    a.stdout!.on('data', (d) => (out += d));
    try {
      await until(() => out.includes('elected'), 8000);
      const b = await EtcdStateStore.open([url], 'elect/');
      const elected: string[] = [];
      const lb = await etcdLeadership(b, 'B', 1, { elected: () => void elected.push('B'), lost: () => undefined });
      await until(() => lb.leader() === 'A', 3000);
      await realClock.sleep(300);
      expect(elected).toEqual([]);
      const t0 = realClock.monoMs();
      a.kill('SIGKILL');
      await until(() => elected.includes('B'), 6000);
      expect(realClock.monoMs() - t0).toBeLessThan(3000);
      await until(() => lb.leader() === 'B', 2000);
      await lb.close();
      await b.close();
    } finally {
      a.kill('SIGKILL');
    }
  }, 30_000);

  it('a leader cut off from etcd is told it lost leadership (and so stops: fail-stop)', async () => {
    const s = await EtcdStateStore.open([url], 'cut/');
    let elected = false;
    let lost = '';
    const l = await etcdLeadership(s, 'A', 1, { elected: () => void (elected = true), lost: (why) => void (lost = why) });
    await until(() => elected, 5000);
    await terminate([pid], realClock); // etcd goes away (the last test of this file)
    pid = 0;
    await until(() => lost !== '', 10_000);
    expect(lost).toMatch(/etcd election/);
    await l.close().catch(() => undefined);
    await s.close();
  }, 20_000);
});

async function until(cond: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = realClock.monoMs() + timeoutMs;
  while (!cond()) {
    if (realClock.monoMs() > deadline) throw new Error('condition not met in time');
    await realClock.sleep(20);
  }
}
