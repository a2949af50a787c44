// A lab whose stand-ins run in replica hosts (`replicaHost: shared`), as a user runs it: one host
// process per cluster, every replica still its own target; replica.crash on one under streaming
// load fails no client and takes down only that replica (registered again under a new pid-like
// id when healed); `halab down` leaves nothing behind.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import type { RequestRecord } from '../src/record/records.js';
import { HOSTED_PID_BASE } from '../src/replica/replica-host.js';
import { halab, leftovers, listening, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-host-lab-');
type Status = { entrypoint: string; replicas: { id: string; url: string; pid: number; healthy: boolean; routable: boolean }[] };

async function statusJson(): Promise<Status> {
  const r = await halab(home, ['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as Status;
}

function registrations(id: string): number[] {
  const lines = readFileSync(join(home, 'lab', 'events', 'controlplane.ndjson'), 'utf8').trim().split('\n');
  return lines.map((l) => JSON.parse(l) as { type: string; subject: string; data?: { pid?: number } }).filter((e) => e.type === 'replica.registered' && e.subject === id).map((e) => e.data!.pid!);
}

let status: Status;
beforeAll(async () => {
  const file = smallTopology(home, 'hosted');
  writeFileSync(file, readFileSync(file, 'utf8').replace('timeScale: 1\n', 'timeScale: 1\nreplicaHost: shared\n'));
  const up = await halab(home, ['up', file]);
  expect(up.code, up.stderr).toBe(0);
  status = await statusJson();
}, 90_000);

afterAll(async () => {
  await halab(home, ['down']);
  rmSync(home, { recursive: true, force: true });
});

describe('a lab of replica hosts', () => {
  it('runs one host process per cluster; each replica keeps its own listener and a pid-like id', () => {
    expect(status.replicas.map((r) => r.id).sort()).toEqual(['us-east-1/backup/0', 'us-east-1/primary/0', 'us-east-1/primary/1', 'us-east-1/primary/2']);
    expect(new Set(status.replicas.map((r) => r.url)).size).toBe(4);
    const primaries = status.replicas.filter((r) => r.id.includes('/primary/'));
    expect(new Set(primaries.map((r) => r.pid)).size).toBe(1); // the host's pid
    expect(status.replicas.find((r) => r.id.includes('/backup/'))!.pid).not.toBe(primaries[0]!.pid);
    for (const r of status.replicas) for (const pid of registrations(r.id)) expect(pid).toBeGreaterThan(HOSTED_PID_BASE);
  });

  it('replica.crash on one hosted replica under load: no client fails, only it goes, and it comes back', async () => {
    const victim = 'us-east-1/primary/0';
    const records: RequestRecord[] = [];
    const run = new BuiltinDriver().run(
      { entrypoint: status.entrypoint, ratePerSec: 20, arrival: 'constant', durationMs: 4000, streaming: true, promptTokens: 32, maxTokens: 48, timeoutMs: 20_000, model: 'llama-3-8b-instruct', seed: 5 },
      (r) => records.push(r),
      new AbortController().signal,
    );
    await realClock.sleep(1200);
    const inj = await halab(home, ['inject', 'replica.crash', victim]);
    expect(inj.code, inj.stderr).toBe(0);
    await run;
    const bad = records.filter((r) => r.outcome !== 'ok' || r.correct !== true);
    expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
    const during = await statusJson();
    expect(during.replicas.find((r) => r.id === victim)!.routable).toBe(false);
    expect(listening(status.replicas.find((r) => r.id === victim)!.url)).toBe(false);
    for (const r of during.replicas.filter((x) => x.id !== victim && x.id.includes('/primary/'))) expect(r.routable, r.id).toBe(true);
    const healed = await halab(home, ['heal', inj.stdout.trim()]);
    expect(healed.code, healed.stderr).toBe(0);
    for (let i = 0; i < 50; i++) {
      const s = await statusJson();
      if (s.replicas.find((r) => r.id === victim)?.routable) {
        const pids = registrations(victim);
        expect(pids).toHaveLength(2);
        expect(pids[1]).not.toBe(pids[0]); // a new incarnation, a new pid-like id
        return;
      }
      await realClock.sleep(200);
    }
    throw new Error(`${victim} did not return to routing after heal`);
  }, 60_000);

  it('halab down stops the hosts and leaves nothing behind', async () => {
    const urls = (await statusJson()).replicas.map((r) => r.url);
    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(leftovers(home)).toEqual([]);
    for (const url of urls) expect(listening(url), url).toBe(false);
  }, 30_000);
});
