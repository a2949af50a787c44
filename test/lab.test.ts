// The lab by hand, as a user runs it: `halab up`, faults injected while a client streams, bad
// input refused, and `halab down` leaving nothing behind.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { isAlive } from '../src/process/launcher.js';
import type { RequestRecord } from '../src/record/records.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { halab, leftovers, listening, makeHome, smallTopology } from './helpers.js';

const home = makeHome();
let status: { entrypoint: string; controlPlane: string; replicas: { id: string; url: string; pid: number; healthy: boolean; routable: boolean }[]; gateways: { url: string }[] };

async function statusJson() {
  const r = await halab(home, ['status', '--json']);
  expect(r.code).toBe(0);
  const parsed = JSON.parse(r.stdout) as typeof status;
  // the entry point's admission gauges (event-loop delay, in flight) are live readings, not lab state
  delete (parsed as { globalLoadBalancer?: { admission?: unknown } }).globalLoadBalancer?.admission;
  return parsed;
}

/** Streams at 20 req/s for durationMs while `during` runs; returns every record. */
async function loadWhile(durationMs: number, during: () => Promise<void>): Promise<RequestRecord[]> {
  const records: RequestRecord[] = [];
  const run = new BuiltinDriver().run(
    { entrypoint: status.entrypoint, ratePerSec: 20, arrival: 'constant', durationMs, streaming: true, promptTokens: 32, maxTokens: 48, timeoutMs: 20_000, model: 'llama-3-8b-instruct', seed: 3 },
    (r) => records.push(r),
    new AbortController().signal,
  );
  await during();
  await run;
  return records;
}

beforeAll(async () => {
  const up = await halab(home, ['up', smallTopology(home)]);
  expect(up.code, up.stderr).toBe(0);
  // The entrypoint is the global load balancer on the control-plane host.
  expect(up.stdout).toMatch(/entrypoint: +http:\/\/127\.0\.0\.1:\d+\/v1\/chat\/completions/);
  status = await statusJson();
}, 60_000);

afterAll(async () => {
  await halab(home, ['down']);
});

describe('a lab started by hand', () => {
  it('reports every process, its health and address as JSON', () => {
    expect(status.controlPlane).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(status.replicas.map((r) => r.id).sort()).toEqual(['us-east-1/backup/0', 'us-east-1/primary/0', 'us-east-1/primary/1', 'us-east-1/primary/2']);
    for (const r of status.replicas) {
      expect(r).toMatchObject({ healthy: true });
      expect(r.url).toMatch(/^http:\/\/127\.0\.1\.1:\d+$/);
      expect(r.pid).toBeGreaterThan(0);
    }
    expect(status.replicas.filter((r) => r.routable)).toHaveLength(3); // the backup cluster stands by
  });

  it('refuses bad input with a clear error and changes nothing', async () => {
    const again = await halab(home, ['up', smallTopology(home)]);
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/a lab is already running/);
    const unknownKind = await halab(home, ['inject', 'replica.explode', 'us-east-1/primary/0']);
    expect(unknownKind.code).toBe(2);
    expect(unknownKind.stderr).toMatch(/unknown fault kind "replica\.explode"; known kinds: replica\.crash/);
    const unknownTarget = await halab(home, ['inject', 'replica.crash', 'us-east-1/primary/9']);
    expect(unknownTarget.code).toBe(2);
    expect(unknownTarget.stderr).toMatch(/no replica "us-east-1\/primary\/9"/);
    const wrongKind = await halab(home, ['inject', 'replica.crash', 'us-east-1']);
    expect(wrongKind.code).toBe(2);
    expect(wrongKind.stderr).toMatch(/takes a replica target/);
    const heal = await halab(home, ['heal', 'f-nope']);
    expect(heal.code).toBe(2);
    expect(await statusJson()).toEqual(status);
  });

  // end to end with real processes and clients: a crash, a GPU Xid (the gateway ejects on its
  // 500s: the metrics test below reads that ejection) and a cut stream (the gateway's resume);
  // replica.hang and model.corrupt run on virtual time with the production control plane, chaos
  // engine and gateway pools (src/sim/harness/faults-vt.test.ts, with gpu.xid and crash too)
  for (const [kind, victim] of [
    ['replica.crash', 'us-east-1/primary/0'],
    ['gpu.xid', 'us-east-1/primary/1'],
    ['replica.stream-cut', 'us-east-1/primary/2'],
  ] as const) {
    it(`${kind} on a serving replica: every answer complete and correct`, async () => {
      let faultId = '';
      const records = await loadWhile(4000, async () => {
        await realClock.sleep(1200);
        const inj = await halab(home, ['inject', kind, victim]);
        expect(inj.code, inj.stderr).toBe(0);
        faultId = inj.stdout.trim();
      });
      expect(faultId).toMatch(/^f-/);
      const bad = records.filter((r) => r.outcome !== 'ok' || r.correct !== true);
      expect(bad, JSON.stringify(bad.slice(0, 3))).toEqual([]);
      expect(records.length).toBeGreaterThanOrEqual(70);
      const healed = await halab(home, ['heal', faultId]);
      expect(healed.code, healed.stderr).toBe(0);
      // healed: the replica is back in routing
      for (let i = 0; i < 50; i++) {
        const s = await statusJson();
        if (s.replicas.find((r) => r.id === victim)?.routable) return;
        await realClock.sleep(200);
      }
      throw new Error(`${victim} did not return to routing after heal`);
    }, 40_000);
  }

  it('exports Prometheus metrics from the control plane, the gateway and the global load balancer', async () => {
    // the previous test healed a fault: wait until its replica is routable again
    let s = (await statusJson()) as typeof status & { metrics: string[] };
    for (let i = 0; i < 50 && s.replicas.filter((r) => r.routable).length !== 3; i++) {
      await realClock.sleep(200);
      s = (await statusJson()) as typeof s;
    }
    expect(s.metrics).toHaveLength(3);
    const [cp, gw, glb] = await Promise.all(s.metrics.map(async (url) => (await fetch(url)).text()));
    expect(glb).toMatch(/halab_glb_requests_total\{home="us-east-1",region="us-east-1",outcome="ok"\} [1-9]\d+/);
    expect(cp).toMatch(/halab_controlplane_health_transitions_total\{signal="liveness",to="unhealthy"\} [1-9]/);
    expect(cp).toMatch(/halab_controlplane_routing_changes_total\{change="removed"\} [1-9]/);
    expect(cp).toMatch(/halab_controlplane_routable_replicas 3/);
    expect(gw).toMatch(/halab_gateway_requests_total\{region="us-east-1",outcome="ok"\} [1-9]\d+/);
    expect(gw).toMatch(/halab_gateway_ejections_total\{replica="us-east-1\/primary\/\d",kind="\w+",region="us-east-1"\} [1-9]/);
    expect(gw).toMatch(/halab_gateway_resumes_total\{region="us-east-1"\} [1-9]/);
    expect(gw).toContain('halab_gateway_time_to_first_token_seconds_bucket');
  });

  it('a dead entry point (the GLB killed with SIGKILL) shows in halab status, text and JSON', async () => {
    const before = (await statusJson()) as typeof status & { processes: { name: string; pid: number; alive: boolean; since?: string }[] };
    const glb = before.processes.find((p) => p.name === 'glb')!;
    expect(glb).toMatchObject({ alive: true, since: expect.stringMatching(/^\d{4}-\d\d-\d\dT/) });
    process.kill(glb.pid, 'SIGKILL');
    for (let i = 0; i < 50 && isAlive(glb.pid); i++) await realClock.sleep(50);
    const json = (await statusJson()) as typeof before & { globalLoadBalancer: { alive: boolean }; dead: string[]; warnings: string[] };
    expect(json.globalLoadBalancer.alive).toBe(false);
    expect(json.dead).toEqual(['glb']);
    expect(json.processes.find((p) => p.name === 'glb')).toMatchObject({ pid: glb.pid, alive: false, state: 'dead' });
    expect(json.processes.filter((p) => p.alive)).toHaveLength(json.processes.length - 1);
    expect(json.warnings).toEqual([expect.stringMatching(/the entry point \(global load balancer\) is DEAD/)]);
    const text = await halab(home, ['status']);
    expect(text.code).toBe(0);
    expect(text.stdout.split('\n')[0]).toMatch(new RegExp(`^WARNING: the entry point \\(global load balancer\\) is DEAD: clients cannot reach the lab \\(glb, pid ${glb.pid}\\)`));
    expect(text.stdout).toMatch(/^entrypoint: +http:\S+ \(DEAD\)$/m);
    expect(text.stdout).toMatch(new RegExp(`^glb +${glb.pid} +DEAD `, 'm'));
  }, 30_000);

  it('halab down stops every process and leaves no file or port behind, but not a tail -f of a lab log', async () => {
    const s = await statusJson();
    const urls = [...s.replicas.map((r) => r.url), ...s.gateways.map((g) => g.url)];
    // a user following a lab log: its command line names a file under the lab directory
    const tail = spawn('tail', ['-f', join(home, 'lab', 'logs', 'controlplane.log')], { stdio: 'ignore' });
    try {
      const down = await halab(home, ['down']);
      expect(down.code).toBe(0);
      expect(down.stdout).toMatch(/lab down: \d+ processes stopped, 1 had already exited/);
      expect(isAlive(tail.pid!)).toBe(true);
    } finally {
      tail.kill('SIGKILL');
    }
    expect(leftovers(home).filter((pid) => pid !== tail.pid)).toEqual([]);
    expect(existsSync(join(home, 'lab'))).toBe(false);
    for (const url of urls) expect(listening(url), url).toBe(false);
    const inject = await halab(home, ['inject', 'replica.crash', 'us-east-1/primary/0']);
    expect(inject.code).toBe(2);
    expect(inject.stderr).toMatch(/no lab is running/);
  }, 30_000);
});
