// A topology of external endpoints only — misbehaving-upstream stand-ins run as plain OpenAI
// servers (separate processes, no agent) — through `halab up`, `halab status`, faults through the
// configured commands (`halab inject`/`heal`, a `halab run` scenario, a game day, Ctrl-C in the
// middle of a fault), and `halab down`.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, halab, leftovers, makeHome } from './helpers.js';
import { loadScenario } from '../src/config/scenario.js';
import { loadTopology } from '../src/config/topology.js';
import { scheduleFor } from '../src/run/runner.js';
import { resolveFault } from '../src/chaos/injectors.js';
import { routesFromTopology } from '../src/config/model-routes.js';

const home = makeHome('halab-ext-');
const children: ChildProcess[] = [];
let urls: string[] = [];
let topology = '';

function startStandin(args: string[] = []): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(ROOT, 'dist/src/replica/standin-main.js'), '--host', '127.0.0.1', '--token-ms', '2', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    children.push(child);
    child.stdout!.setEncoding('utf8');
    child.stdout!.once('data', (line: string) => resolve(line.trim()));
    child.once('exit', (code) => reject(new Error(`stand-in exited ${code}`)));
  });
}

async function adminMode(url: string): Promise<string> {
  const res = await request(`${url}/admin/mode`);
  return ((await res.body.json()) as { mode: string }).mode;
}

const cli = `${process.execPath} ${BIN} standin`;

beforeAll(async () => {
  process.env.HALAB_EXT_KEY = 'sekrit-key'; // the second endpoint requires it; halab gets it from the environment
  urls = await Promise.all([startStandin(), startStandin(['--api-key-env', 'HALAB_EXT_KEY']), startStandin()]);
  topology = join(home, 'external.yaml');
  writeFileSync(
    topology,
    `name: external-only
model: { name: llama-3-8b-instruct, version: v1 }
regions:
  - name: us-east-1
    host: 127.0.1.1
    clusters:
      - name: primary
        role: primary
        external:
          kind: vllm
          apiKeyEnv: HALAB_EXT_KEY
          endpoints:
            - { url: "${urls[0]}", gpuMetricsUrl: "${urls[0]}/dcgm/metrics" }
            - { url: "${urls[1]}" }
          faults:
            replica.crash: { inject: "${cli} mode {url} down", heal: "${cli} clear {url}", timeoutMs: 10000 }
            gpu.xid: { inject: "${cli} gpu {url} --xid 79", heal: "${cli} gpu {url} --xid 0", timeoutMs: 10000 }
      - name: backup
        role: backup
        external:
          kind: generic
          endpoints: [{ url: "${urls[2]}" }]
`,
  );
});

afterAll(async () => {
  await halab(home, ['down']);
  for (const c of children) c.kill('SIGTERM');
});

describe('external endpoints', () => {
  it('come up healthy by their kind, GPU unknown without metrics; faults run the configured commands; unknown kinds are refused', async () => {
    const { HALAB_EXT_KEY: _key, ...noKey } = process.env;
    const refusedUp = spawnSync(process.execPath, [BIN, 'up', topology], { cwd: ROOT, env: { ...noKey, HALAB_HOME: home }, encoding: 'utf8' });
    expect(refusedUp.status).toBe(2);
    expect(refusedUp.stderr).toMatch(/environment variable HALAB_EXT_KEY \(the API key of us-east-1\/primary in .*\) is not set/);
    expect(leftovers(home)).toEqual([]);
    const unauthorized = await request(`${urls[1]}/v1/models`);
    expect(unauthorized.statusCode).toBe(401);
    await unauthorized.body.dump();

    const up = await halab(home, ['up', topology]);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    expect(up.stdout).toMatch(/all replicas healthy/);
    const status = JSON.parse((await halab(home, ['status', '--json'])).stdout);
    const byId = Object.fromEntries(status.replicas.map((r: { id: string }) => [r.id, r]));
    expect(byId['us-east-1/primary/0']).toMatchObject({ healthy: true, routable: true, url: urls[0], reason: 'external; gpu healthy' });
    expect(byId['us-east-1/primary/1']).toMatchObject({ healthy: true, routable: true, reason: 'external; gpu unknown' });
    expect(byId['us-east-1/backup/0']).toMatchObject({ healthy: true, routable: false });

    // a DCGM Xid through the configured command: unhealthy at once, healed by its heal command
    const inject = await halab(home, ['inject', 'gpu.xid', 'us-east-1/primary/0']);
    expect(inject.code, inject.stderr).toBe(0);
    let s = JSON.parse((await halab(home, ['status', '--json'])).stdout);
    for (let i = 0; i < 40 && s.replicas.find((r: { id: string }) => r.id === 'us-east-1/primary/0').healthy; i++) {
      await new Promise((r) => setTimeout(r, 100));
      s = JSON.parse((await halab(home, ['status', '--json'])).stdout);
    }
    expect(s.replicas.find((r: { id: string }) => r.id === 'us-east-1/primary/0')).toMatchObject({ healthy: false, reason: 'GPU reports Xid 79' });
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);

    const refused = await halab(home, ['inject', 'replica.hang', 'us-east-1/primary/0']);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no command is configured for replica.hang on external cluster us-east-1\/primary/);
    const down = await halab(home, ['down']);
    expect(down.code).toBe(0);
    expect(leftovers(home)).toEqual([]);
  });

  it('go through a halab run with a fault by configured commands, reported as for stand-ins, and healed', async () => {
    const scenario = join(home, 'ext-crash.yaml');
    writeFileSync(
      scenario,
      `name: ext-crash
topology: ${topology}
seed: 3
duration: 8s
load: { ratePerSec: 15, streaming: true, promptTokens: 32, maxTokens: 32 }
faults:
  - { kind: replica.crash, target: us-east-1/primary/0, at: 2s, for: 3s }
targets: { availability: 0.99, truncatedRequests: 0, wrongAnswers: 0 }
`,
    );
    const out = join(home, 'run-ext');
    const r = await halab(home, ['run', scenario, '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.verdict.pass).toBe(true);
    expect(report.metrics.requests.truncated).toBe(0);
    expect(report.metrics.requests.total).toBeGreaterThan(80);
    const [fault] = report.faults;
    expect(fault).toMatchObject({ kind: 'replica.crash', target: 'us-east-1/primary/0', truncatedRequests: 0 });
    expect(fault.detectionMs).toBeGreaterThan(0);
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
    expect(events).toContain('"type":"fault.healed"');
    expect(await adminMode(urls[0]!)).toBe('ok'); // healed by its heal command
    // the endpoint that requires the API key served answers: the gateway sent the key from the environment
    const stats = (await (await request(`${urls[1]}/admin/stats`)).body.json()) as { completions: number };
    expect(stats.completions).toBeGreaterThan(20);
    expect(leftovers(home)).toEqual([]);

    // a game day on external endpoints: random faults only where a command exists, all healed
    const gd = join(home, 'gameday');
    const g = await halab(home, ['gameday', topology, '--kinds', 'replica.crash,gpu.xid,replica.hang', '--duration', '12s', '--mean-interval', '2s', '--min-fault', '2s', '--max-fault', '3s', '--max-replicas', '1', '--rate', '10', '--slo', '0.9', '--abort-availability', '0.5', '--seed', '4', '--out', gd]);
    expect([0, 1], g.stderr + g.stdout).toContain(g.code);
    const gdReport = JSON.parse(readFileSync(join(gd, 'report.json'), 'utf8'));
    expect(gdReport.faults.length).toBeGreaterThan(0);
    for (const f of gdReport.faults) {
      expect(['replica.crash', 'gpu.xid']).toContain(f.kind); // replica.hang has no command
      expect(f.target).toMatch(/^us-east-1\/primary\/\d$/); // the backup cluster has none
      expect(f.truncatedRequests).toBe(0);
    }
    expect(readFileSync(join(gd, 'events.ndjson'), 'utf8').split('"type":"fault.healed"').length - 1).toBe(gdReport.faults.length);
    for (const u of urls) expect(await adminMode(u)).toBe('ok');
    expect(leftovers(home)).toEqual([]);

    // a fault kind with no command is refused before anything starts
    const bad = join(home, 'ext-bad.yaml');
    writeFileSync(bad, readFileSync(scenario, 'utf8').replace('kind: replica.crash', 'kind: replica.slow').replace('name: ext-crash', 'name: ext-bad'));
    const refused = await halab(home, ['run', bad, '--out', join(home, 'run-bad')]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/no command is configured for replica.slow on external cluster us-east-1\/primary/);
    expect(leftovers(home)).toEqual([]);
  });

  it('heals a command fault when the run is interrupted (Ctrl-C) in the middle of it', async () => {
    const scenario = join(home, 'ext-abort.yaml');
    writeFileSync(
      scenario,
      `name: ext-abort
topology: ${topology}
seed: 3
duration: 40s
load: { ratePerSec: 5, streaming: true, promptTokens: 16, maxTokens: 16 }
faults:
  - { kind: replica.crash, target: us-east-1/primary/0, at: 1s, for: 30s }
`,
    );
    const child = spawn(process.execPath, [BIN, 'run', scenario, '--out', join(home, 'run-abort')], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home, HALAB_LOG_LEVEL: 'warn' } });
    child.stderr.resume();
    child.stdout.resume();
    const deadline = Date.now() + 40_000;
    while ((await adminMode(urls[0]!)) !== 'down' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    expect(await adminMode(urls[0]!)).toBe('down');
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    expect(await adminMode(urls[0]!)).toBe('ok');
    expect(leftovers(home)).toEqual([]);
  }, 90_000);

  it('scenarios/upstream-faults.yaml: every scheduled misbehaviour has a command on launched stand-ins behind a fallback route', () => {
    const scenario = loadScenario(join(ROOT, 'scenarios/upstream-faults.yaml'));
    const t = loadTopology(join(ROOT, scenario.topology));
    expect(t.replicas.every((r) => r.external?.launched)).toBe(true);
    expect(routesFromTopology(t)[0]!.groups.map((g) => g.name)).toEqual(['primary', 'hosted']);
    const schedule = scheduleFor(scenario, t, scenario.seed);
    expect(new Set(schedule.map((f) => f.kind)).size).toBe(9);
    for (const f of schedule) expect(() => resolveFault(f.kind, f.target, t)).not.toThrow();
    expect(scenario.targets).toMatchObject({ truncatedRequests: 0, wrongAnswers: 0 });
  });
});
