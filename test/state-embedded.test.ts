// The embedded state store in a running lab: the single control plane is killed (SIGKILL) and
// restarted; it recovers its log from disk, adopts the running replicas without restarting them,
// and the gateway keeps routing on its last topology meanwhile.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-embedded-');

interface Status { entrypoint: string; controlPlaneLeader: string; controlPlaneTerm: number; replicas: { id: string; pid: number; healthy: boolean; routable: boolean }[] }
const status = async (): Promise<Status> => JSON.parse((await halab(home, ['status', '--json'])).stdout) as Status;

beforeAll(async () => {
  const up = await halab(home, ['up', smallTopology(home, 'embedded')]);
  expect(up.code, up.stderr).toBe(0);
}, 60_000);

afterAll(async () => {
  await halab(home, ['down']);
  expect(leftovers(home)).toEqual([]);
});

describe('embedded state store', () => {
  it('a restarted control plane recovers its state from the log and re-adopts the replicas', async () => {
    const before = await status();
    expect(before.controlPlaneTerm).toBe(1);
    const inj = await halab(home, ['inject', 'controlplane.kill-leader', 'controlplane']);
    expect(inj.code, inj.stderr).toBe(0);
    // the control plane is gone; the gateway still serves on its last topology
    const res = await request(`${before.entrypoint}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], max_tokens: 4 }) });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    const after = await status();
    expect(after.controlPlaneTerm).toBe(2);
    expect(after.replicas.map((r) => r.pid).sort()).toEqual(before.replicas.map((r) => r.pid).sort());
    const elected = readFileSync(join(home, 'lab', 'events', 'controlplane.ndjson'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('controlplane.leader-elected'))
      .map((l) => JSON.parse(l) as { data: { term: number; adoptedReplicas: number; store: string } });
    expect(elected.map((e) => [e.data.term, e.data.store])).toEqual([[1, 'embedded'], [2, 'embedded']]);
    expect(elected[1]!.data.adoptedReplicas).toBe(before.replicas.length);
  }, 60_000);
});
