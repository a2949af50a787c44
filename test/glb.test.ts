// The global load balancer in a live two-region lab: the links into a region are cut while a client
// streams through the GLB — every answer complete and correct, traffic failing over to the other
// region and back (a dead region's failover runs in virtual time: src/sim/harness/glb-vt.test.ts). Then `halab run` interrupted mid-partition (Ctrl-C, and a SIGKILL
// followed by `halab down`) leaves no process, link proxy or iptables rule behind.
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import type { RequestRecord } from '../src/record/records.js';
import { firewallUnavailable, labTag, listTaggedRules } from '../src/lab/firewall.js';
import { findToxiproxy } from '../src/lab/link-proxies.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { BIN, ROOT, halab, leftovers, listening, makeHome } from './helpers.js';

const home = makeHome('halab-glb-');
const labDir = join(home, 'lab');
const hasToxiproxy = findToxiproxy().path !== undefined;
const canPartition = firewallUnavailable() === undefined;

/** Two small regions on loopback addresses of their own, so firewall rules touch no other lab. */
function twoRegions(name: string): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'modelLoadMs: 300',
      'links: { interRegionLatencyMs: 20 }',
      'regions:',
      '  - name: us-east-1',
      '    host: 127.0.41.1',
      '    clusters: [{ name: primary, role: primary, gpus: 2 }, { name: backup, role: backup, gpus: 1 }]',
      '  - name: us-west-2',
      '    host: 127.0.42.1',
      '    clusters: [{ name: secondary, role: primary, gpus: 2 }, { name: backup, role: backup, gpus: 1 }]',
      '',
    ].join('\n'),
  );
  return file;
}

function glbEvents(): { type: string; subject: string; atMs: number }[] {
  return readFileSync(join(labDir, 'events', 'glb.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

async function loadWhile(entrypoint: string, durationMs: number, during: () => Promise<void>): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const run = new BuiltinDriver().run(
    { entrypoint, ratePerSec: 15, arrival: 'constant', durationMs, streaming: true, promptTokens: 32, maxTokens: 48, timeoutMs: 20_000, model: 'llama-3-8b-instruct', seed: 9 },
    (r) => records.push(r),
    new AbortController().signal,
  );
  await during();
  await run;
  return records;
}

function expectAllCorrect(records: readonly RequestRecord[]): void {
  const bad = records.filter((r) => r.outcome !== 'ok' || r.correct !== true);
  expect(bad.map((r) => `${r.outcome} ${r.reason ?? ''} ${r.replicas.join('>')}`)).toEqual([]);
}

describe.skipIf(!hasToxiproxy)('the global load balancer', () => {
  let entrypoint = '';
  beforeAll(async () => {
    const up = await halab(home, ['up', twoRegions('glb-two')]);
    expect(up.code, up.stderr).toBe(0);
    const status = JSON.parse((await halab(home, ['status', '--json'])).stdout);
    entrypoint = status.entrypoint;
    expect(status.globalLoadBalancer.url).toBe(entrypoint);
    expect(status.links.proxies.map((p: { name: string }) => p.name).sort()).toEqual(['glb>us-east-1', 'glb>us-west-2', 'us-east-1>us-west-2', 'us-west-2>us-east-1']);
  }, 60_000);
  afterAll(async () => {
    await halab(home, ['down']);
  });

  // A dead region failed over and back (region.outage under client load, every answer complete and
  // correct) runs in virtual time: src/sim/harness/glb-vt.test.ts. Cut links are not simulated.
  it('routes around cut links into a region (Toxiproxy) and heals them', async () => {
    const before = glbEvents().length;
    const records = await loadWhile(entrypoint, 6000, async () => {
      await realClock.sleep(1500);
      const r = await halab(home, ['inject', 'link.partition', 'us-east-1', '--for', '2s']);
      expect(r.code, r.stderr).toBe(0);
    });
    expectAllCorrect(records);
    const types = () => glbEvents().slice(before).map((e) => `${e.type} ${e.subject}`);
    expect(types()).toContain('glb.failover us-east-1');
    const deadline = realClock.monoMs() + 10_000;
    while (!types().includes('glb.failback us-east-1') && realClock.monoMs() < deadline) await realClock.sleep(100);
    expect(types()).toContain('glb.failback us-east-1');
  }, 60_000);
});

describe.skipIf(!hasToxiproxy || !canPartition)('an interrupted run with a hard partition', () => {
  const scenario = join(home, 'partition.yaml');
  writeFileSync(
    scenario,
    `name: partition-interrupted\ntopology: ${twoRegions('glb-part')}\nseed: 3\nduration: 40s\nload: { ratePerSec: 5, streaming: true, promptTokens: 16, maxTokens: 24 }\nfaults:\n  - { kind: region.partition, target: us-east-1, at: 1s, for: 30s }\n`,
  );
  const tag = labTag(labDir);
  afterAll(async () => {
    await halab(home, ['down']);
    expect(listTaggedRules(tag)).toEqual([]);
  });

  /** Starts `halab run`, waits until the partition's rules are in place, then sends `signal`. */
  async function interrupt(signal: NodeJS.Signals): Promise<{ code: number | null; linksApi: string }> {
    const child = spawn(process.execPath, [BIN, 'run', scenario, '--out', join(home, `run-${signal}`)], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home }, stdio: 'ignore' });
    const exited = new Promise<number | null>((done) => child.on('close', (code) => done(code)));
    const deadline = realClock.monoMs() + 45_000;
    // the gateway's port and the two link proxies into the region, both directions
    // (the rules go in one iptables call at a time: wait for all of them)
    while (listTaggedRules(tag).length < 6 && realClock.monoMs() < deadline) await realClock.sleep(100);
    expect(listTaggedRules(tag).length).toBe(6);
    const linksApi = JSON.parse(readFileSync(join(labDir, 'state.json'), 'utf8')).links.api as string;
    child.kill(signal);
    return { code: await exited, linksApi };
  }

  it('Ctrl-C heals the partition and tears everything down', async () => {
    const { code, linksApi } = await interrupt('SIGINT');
    expect(code).toBe(130);
    expect(listTaggedRules(tag)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
    expect(listening(linksApi)).toBe(false);
  }, 90_000);

  it('after a SIGKILL, halab down removes the processes, the link proxies and the rules', async () => {
    const { linksApi } = await interrupt('SIGKILL');
    expect(leftovers(home).length).toBeGreaterThan(0);
    expect(listTaggedRules(tag).length).toBe(6);
    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(listTaggedRules(tag)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
    expect(listening(linksApi)).toBe(false);
  }, 90_000);
});

describe('scenarios whose faults cannot run here', () => {
  it('fail at start with the reason, and start nothing', async () => {
    const file = join(home, 'needs-links.yaml');
    writeFileSync(file, `name: needs-links\ntopology: ${twoRegions('glb-none')}\nduration: 5s\nfaults:\n  - { kind: link.latency, target: us-east-1, at: 1s, for: 1s }\n`);
    const otherHome = makeHome('halab-glb-none-');
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', join(home, 'run-needs-links')], { cwd: ROOT, env: { ...process.env, HALAB_HOME: otherHome, HALAB_TOXIPROXY: '/nonexistent/toxiproxy-server' } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(code).toBe(2);
    expect(stderr).toMatch(/link\.latency needs Toxiproxy: HALAB_TOXIPROXY=\/nonexistent\/toxiproxy-server is not an executable file/);
    expect(leftovers(otherHome)).toEqual([]);
  }, 30_000);

  it('in a suite, are skipped with the reason while the others run; the suite exits 2', async () => {
    const dir = join(home, 'suite-needs-links');
    mkdirSync(dir, { recursive: true });
    const topo = twoRegions('glb-suite');
    writeFileSync(join(dir, 'a-links.yaml'), `name: a-links\ntopology: ${topo}\nduration: 3s\nfaults:\n  - { kind: link.partition, target: us-east-1, at: 1s, for: 1s }\n`);
    writeFileSync(join(dir, 'b-plain.yaml'), `name: b-plain\ntopology: ${topo}\nduration: 3s\nload: { ratePerSec: 5, promptTokens: 16, maxTokens: 16 }\ntargets: { failedRequests: 0 }\n`);
    const otherHome = makeHome('halab-glb-suite-');
    const child = spawn(process.execPath, [BIN, 'run', dir, '--out', join(home, 'run-suite')], { cwd: ROOT, env: { ...process.env, HALAB_HOME: otherHome, HALAB_TOXIPROXY: '/nonexistent/toxiproxy-server' } });
    let stdout = '';
    child.stdout.on('data', (b) => (stdout += b));
    const code = await new Promise<number | null>((done) => child.on('close', done));
    expect(stdout).toMatch(/^SKIP {2}a-links: link\.partition needs Toxiproxy/m);
    expect(stdout).toMatch(/^PASS {2}b-plain/m);
    expect(stdout).toMatch(/suite suite-needs-links: 1\/2 passed, 1 skipped/);
    expect(code).toBe(2);
    expect(leftovers(otherHome)).toEqual([]);
  }, 60_000);
});
