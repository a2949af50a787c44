// Durable state in a running lab: three control-plane instances on etcd (started by the lab),
// the leader killed under client load with no failed request, stored completions written in one
// region and read from the other, replication failures reported as events, and `halab backup` /
// `halab restore` — a truncated snapshot refused with nothing touched, a good one restored into a
// fresh control plane that re-adopts the running replicas. `halab down` leaves nothing, etcd included.
import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import type { RequestRecord } from '../src/record/records.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { readBackStored } from '../src/load/readback.js';
import { measureState } from '../src/measure/state-figures.js';
import { halab, leftovers, makeHome } from './helpers.js';
import { AUTH_HEADER, mintToken } from '../src/protocol/lab-auth.js';
import { readLabSecret } from '../src/process/lab-secret.js';

const home = makeHome('halab-state-');
interface Status {
  entrypoint: string;
  controlPlane: string;
  controlPlaneLeader: string;
  controlPlaneTerm: number;
  gateways: { region: string; url: string }[];
  replicas: { id: string; pid: number; healthy: boolean; routable: boolean }[];
}

function haTopology(dir: string): string {
  const file = join(dir, 'ha.yaml');
  writeFileSync(
    file,
    [
      'name: ha-small',
      'modelLoadMs: 200',
      'controlPlane: { store: etcd, instances: 3, leaseTtlS: 1 }',
      'regions:',
      '  - { name: us-east-1, host: 127.0.1.1, clusters: [{ name: primary, gpus: 1 }] }',
      '  - { name: us-west-2, host: 127.0.2.1, clusters: [{ name: primary, gpus: 1 }] }',
      '',
    ].join('\n'),
  );
  return file;
}

async function status(): Promise<Status> {
  const r = await halab(home, ['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = realClock.monoMs() + timeoutMs;
  for (;;) {
    const v = await fn().catch(() => undefined);
    if (v !== undefined) return v;
    if (realClock.monoMs() > deadline) throw new Error(`timed out waiting for ${what}`);
    await realClock.sleep(100);
  }
}

const gw = (s: Status, region: string) => s.gateways.find((g) => g.region === region)!.url;

async function storeCompletion(url: string, seed: number): Promise<{ id: string; content: string }> {
  const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: `hello ${seed}` }], max_tokens: 8, seed, store: true }) });
  const body = (await res.body.json()) as { id: string; choices: { message: { content: string } }[] };
  expect(res.statusCode).toBe(200);
  return { id: body.id, content: body.choices[0]!.message.content };
}

async function getStored(url: string, id: string): Promise<{ status: number; body: { id?: string; choices?: { message: { content: string } }[] } }> {
  const res = await request(`${url}/v1/chat/completions/${id}`);
  return { status: res.statusCode, body: (await res.body.json()) as { id?: string } };
}

let s0: Status;
let firstId = '';

beforeAll(async () => {
  const up = await halab(home, ['up', haTopology(home)]);
  expect(up.code, up.stderr).toBe(0);
  s0 = await status();
}, 90_000);

afterAll(async () => {
  const down = await halab(home, ['down']);
  expect(down.code).toBe(0);
  expect(leftovers(home)).toEqual([]);
}, 30_000);

describe('durable control-plane state and stored completions', () => {
  it('runs three control-plane instances with one leader', () => {
    expect(s0.controlPlane.split(',')).toHaveLength(3);
    expect(s0.controlPlaneLeader).toMatch(/^controlplane\/[012]$/);
    expect(s0.replicas.every((r) => r.healthy && r.routable)).toBe(true);
  });

  it('stores a completion in one region and serves it from the other', async () => {
    const { id, content } = await storeCompletion(gw(s0, 'us-east-1'), 1);
    firstId = id;
    const local = await getStored(gw(s0, 'us-east-1'), id);
    expect(local.status).toBe(200);
    expect(local.body.choices?.[0]?.message.content).toBe(content);
    const remote = await waitFor('replication to us-west-2', async () => {
      const r = await getStored(gw(s0, 'us-west-2'), id);
      return r.status === 200 ? r : undefined;
    }, 5000);
    expect(remote.body.id).toBe(id);
    expect((await getStored(gw(s0, 'us-west-2'), 'chatcmpl-nope')).status).toBe(404);
    // model versions and configuration replicated by the control plane into the region's store
    const cfg = await waitFor('config in us-west-2', async () => {
      const body = (await (await request(`${gw(s0, 'us-west-2')}/internal/config`, { headers: { [AUTH_HEADER]: mintToken(readLabSecret(join(home, 'lab')), 'cli') } })).body.json()) as { keys: Record<string, string> };
      return body.keys['models/llama-3-8b-instruct'] ? body : undefined;
    }, 5000);
    expect(Object.keys(cfg.keys).some((k) => k.startsWith('deployments/'))).toBe(true);
    // the lag gauge reads 0 once the peer's acknowledgement has been counted
    const metrics = await waitFor('replication lag 0', async () => {
      const text = await (await request(`${gw(s0, 'us-east-1')}/metrics`)).body.text();
      return /halab_replication_lag_seconds\{peer="us-west-2",region="us-east-1"\} 0\n/.test(text) ? text : undefined;
    }, 5000);
    expect(metrics).toMatch(/halab_replication_acked_total\{peer="us-west-2",region="us-east-1"\} [1-9]/);
  });

  it('stores under the id the global load balancer gave the client, readable through it and from either region', async () => {
    const { id, content } = await storeCompletion(s0.entrypoint, 2);
    expect(id).toMatch(/^chatcmpl-[0-9a-f]{32}$/); // random, not time-based
    const viaGlb = await getStored(s0.entrypoint, id);
    expect(viaGlb.status).toBe(200);
    expect(viaGlb.body.choices?.[0]?.message.content).toBe(content);
    const remote = await waitFor('replication to us-west-2', async () => {
      const r = await getStored(gw(s0, 'us-west-2'), id);
      return r.status === 200 ? r : undefined;
    }, 5000);
    expect(remote.body.id).toBe(id);
    expect((await getStored(s0.entrypoint, 'chatcmpl-nope')).status).toBe(404);
  });

  it('reports a failing replication as an event and catches up after', async () => {
    const inj = await halab(home, ['inject', 'gateway.crash', 'us-west-2']);
    expect(inj.code, inj.stderr).toBe(0);
    const { id } = await storeCompletion(gw(s0, 'us-east-1'), 2);
    const events = join(home, 'lab', 'events', 'gateway.us-east-1.ndjson');
    await waitFor('replication.failed', async () => (readFileSync(events, 'utf8').includes('"replication.failed"') ? true : undefined), 5000);
    const healed = await halab(home, ['heal', '--all']);
    expect(healed.code, healed.stderr + healed.stdout).toBe(0);
    await waitFor('replication.recovered', async () => (readFileSync(events, 'utf8').includes('"replication.recovered"') ? true : undefined), 10_000).catch((err: Error) => {
      throw new Error(`${err.message}\n${readFileSync(events, 'utf8').split('\n').filter((l) => l.includes('replication')).join('\n')}\n${readFileSync(join(home, 'lab', 'logs', 'gateway.us-west-2.log'), 'utf8').slice(-1500)}`);
    });
    expect((await getStored(gw(s0, 'us-west-2'), id)).status).toBe(200);
  }, 30_000);

  it('lists every acknowledged write lost with a region whose replication was behind', async () => {
    expect((await halab(home, ['inject', 'gateway.crash', 'us-west-2'])).code).toBe(0); // replication stalls
    const writes = [await storeCompletion(gw(s0, 'us-east-1'), 10), await storeCompletion(gw(s0, 'us-east-1'), 11)];
    const ackedAtMs = realClock.nowMs();
    const loss = await halab(home, ['inject', 'region.state-loss', 'us-east-1']);
    expect(loss.code, loss.stderr).toBe(0);
    const failureAtMs = realClock.nowMs();
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    const s = await status();
    const records = [...writes.map((w, i) => ({ id: `r${i}`, outcome: 'ok', endMs: ackedAtMs, storedId: w.id, storedRegion: 'us-east-1' })), { id: 'r9', outcome: 'ok', endMs: ackedAtMs - 5000, storedId: firstId, storedRegion: 'us-east-1' }] as unknown as RequestRecord[];
    const readback = await readBackStored(records, { gatewayUrl: gw(s, 'us-west-2'), region: 'us-west-2', rounds: 2, roundWaitMs: 500 }, realClock);
    const m = measureState([{ atMs: failureAtMs, source: 'chaos', type: 'fault.injected', subject: 'f', data: { kind: 'region.state-loss' } }], readback);
    expect(m.lostWrites).toBe(2);
    expect(m.storedWrites?.lost.map((l) => l.storedId).sort()).toEqual(writes.map((w) => w.id).sort());
    expect(m.rpoMs).toBeGreaterThan(0);
    expect((await getStored(gw(s, 'us-east-1'), writes[0]!.id)).status).toBe(404); // wiped in its own region too
  }, 60_000);

  it('keeps serving every client request while the leader is killed; a follower leads within 3 s', async () => {
    const records: RequestRecord[] = [];
    const run = new BuiltinDriver().run(
      { entrypoint: gw(s0, 'us-east-1'), ratePerSec: 10, arrival: 'constant', durationMs: 5000, streaming: true, promptTokens: 16, maxTokens: 16, timeoutMs: 10_000, model: 'llama-3-8b-instruct', seed: 5 },
      (r) => records.push(r),
      new AbortController().signal,
    );
    await realClock.sleep(1000);
    const before = await status();
    const inj = await halab(home, ['inject', 'controlplane.kill-leader', 'controlplane']);
    expect(inj.code, inj.stderr).toBe(0);
    const after = await waitFor('a new leader', async () => {
      const s = await status();
      return s.controlPlaneLeader && s.controlPlaneLeader !== before.controlPlaneLeader ? s : undefined;
    }, 10_000);
    // From the record: injection → the new leader's leader-elected event (lease TTL 1 s; generous bound for a shared CPU).
    const injectedAtMs = (JSON.parse(readFileSync(join(home, 'lab', 'faults.json'), 'utf8')) as { injectedAtMs: number }[])[0]!.injectedAtMs;
    const elected = readdirSync(join(home, 'lab', 'events'))
      .filter((f) => f.startsWith('controlplane'))
      .flatMap((f) => readFileSync(join(home, 'lab', 'events', f), 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as { atMs: number; type: string; subject: string }))
      .filter((e) => e.type === 'controlplane.leader-elected' && e.atMs > injectedAtMs);
    expect(elected[0]?.subject).toBe(after.controlPlaneLeader);
    expect(elected[0]!.atMs - injectedAtMs).toBeLessThan(5000);
    expect(after.controlPlaneTerm).toBeGreaterThan(before.controlPlaneTerm);
    await run;
    expect(records.length).toBeGreaterThan(30);
    expect(records.filter((r) => r.outcome !== 'ok')).toEqual([]);
    // replicas moved to the new leader and stay healthy
    await waitFor('replicas healthy under the new leader', async () => ((await status()).replicas.every((r) => r.healthy && r.routable) ? true : undefined), 10_000);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    const bad = await halab(home, ['inject', 'controlplane.kill-leader', 'us-east-1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/takes the target "controlplane"/);
  }, 60_000);

  it('refuses a truncated backup without touching anything, then restores a good one into a fresh control plane', async () => {
    const b = await halab(home, ['backup', '--json']);
    expect(b.code, b.stderr).toBe(0);
    const backup = JSON.parse(b.stdout) as { name: string; url: string; keys: number };
    expect(backup.keys).toBeGreaterThan(3);
    const dir = mkdtempSync(join(home, 'bad-'));
    const bad = join(dir, backup.name);
    copyFileSync(new URL(backup.url), bad);
    writeFileSync(bad, readFileSync(bad).subarray(0, readFileSync(bad).length - 20));
    const before = await status();
    const refused = await halab(home, ['restore', '--from', bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/is unusable: body is \d+ bytes, the header says \d+ \(truncated\); nothing was restored or overwritten/);
    const same = await status();
    expect(same.controlPlaneLeader).toBe(before.controlPlaneLeader);
    expect(same.controlPlaneTerm).toBe(before.controlPlaneTerm);

    const listed = await halab(home, ['backup', '--list']);
    expect(listed.stdout).toContain(backup.name);
    const restored = await halab(home, ['restore', '--json']);
    expect(restored.code, restored.stderr).toBe(0);
    const r = JSON.parse(restored.stdout) as { snapshot: string; restoreMs: number };
    expect(r.snapshot).toBe(backup.name);
    expect(r.restoreMs).toBeLessThan(60_000);
    const s = await status();
    expect(s.replicas.every((x) => x.healthy && x.routable)).toBe(true);
    expect(s.replicas.map((x) => x.pid).sort()).toEqual(before.replicas.map((x) => x.pid).sort()); // re-adopted, not restarted
    expect(readdirSync(join(home, 'backups')).length).toBeGreaterThan(0);
  }, 90_000);
});
