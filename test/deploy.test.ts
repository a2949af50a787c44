// Deployments as a user runs them, on a small lab: `halab deploy` under streaming load (rolling
// with a drain bound short enough that streams must be resumed on a replica of their version,
// a rolling update of an error-prone version rolled back on its sampled answers, blue-green to new
// processes), exit codes 0 / 1 / 2, `halab status --json` versions, and `halab down` leaving nothing; then a scenario with a deploy
// action whose report holds the deployment's timeline and client impact.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RequestRecord } from '../src/record/records.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-deploy-');
const topology = smallTopology(home, 'small', 300);
let entrypoint = '';

interface StatusJson {
  entrypoint: string;
  replicas: { id: string; modelVersion: string; healthy: boolean; alive: boolean }[];
}

async function statusJson(): Promise<StatusJson> {
  const r = await halab(home, ['status', '--json']);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout) as StatusJson;
}

/** Streams at 15 req/s (long answers) while `during` runs; returns every record. */
async function loadWhile<T>(durationMs: number, during: () => Promise<T>): Promise<{ records: RequestRecord[]; result: T }> {
  const records: RequestRecord[] = [];
  const run = new BuiltinDriver().run(
    { entrypoint, ratePerSec: 15, arrival: 'constant', durationMs, streaming: true, promptTokens: 32, maxTokens: 160, timeoutMs: 20_000, model: 'llama-3-8b-instruct', seed: 11 },
    (r) => records.push(r),
    new AbortController().signal,
  );
  const result = await during();
  await run;
  return { records, result };
}

beforeAll(async () => {
  const up = await halab(home, ['up', topology]);
  expect(up.code, up.stderr).toBe(0);
  entrypoint = (await statusJson()).entrypoint;
}, 60_000);

afterAll(async () => {
  await halab(home, ['down']);
});

describe('halab deploy', () => {
  it('refuses bad input with exit 2 and a message naming what was wrong', async () => {
    const strategy = await halab(home, ['deploy', 'v2', '--strategy', 'big-bang']);
    expect(strategy.code).toBe(2);
    expect(strategy.stderr).toMatch(/strategy: expected one of rolling, blue-green, canary, got "big-bang"/);
    const behaviour = await halab(home, ['deploy', 'v2', '--behaviour', 'flaky']);
    expect(behaviour.code).toBe(2);
    expect(behaviour.stderr).toMatch(/behaviour/);
    const same = await halab(home, ['deploy', 'v1']);
    expect(same.code).toBe(2);
    expect(same.stderr).toMatch(/already runs v1/);
    const noLab = await halab(makeHome(), ['deploy', 'v2']);
    expect(noLab.code).toBe(2);
    expect(noLab.stderr).toMatch(/no lab is running/);
  });

  it('rolls v2 out under load with zero failed requests, resuming cut streams on replicas of their version (exit 0)', async () => {
    const { records, result } = await loadWhile(9000, () => halab(home, ['deploy', 'v2', '--drain', '100ms', '--watch-time', '300ms', '--verify-timeout', '10s', '--sample-interval', '20ms', '--json']));
    expect(result.code, result.stderr).toBe(0);
    const final = JSON.parse(result.stdout);
    expect(final).toMatchObject({ state: 'succeeded', strategy: 'rolling', fromVersion: 'v1', modelVersion: 'v2' });
    const types = final.steps.map((s: { type: string }) => s.type);
    expect(types.filter((t: string) => t === 'deploy.replica-done')).toHaveLength(4);
    // each updated replica's answers were sampled and judged before the next one (the real sampler)
    expect(final.steps.filter((s: { type: string; data?: { verdict?: string } }) => s.type === 'deploy.smoke-test' && s.data?.verdict === 'ok')).toHaveLength(4);
    expect(records.length).toBeGreaterThan(100);
    expect(records.filter((r) => r.outcome !== 'ok')).toEqual([]);
    expect(records.filter((r) => r.correct === false)).toEqual([]);
    // the 100 ms drain bound cut long answers: they were resumed, on the version they began on
    const resumed = records.filter((r) => r.resumes > 0);
    expect(resumed.length).toBeGreaterThan(0);
    expect(new Set(records.map((r) => r.modelVersion))).toEqual(new Set(['v1', 'v2']));
    expect((await statusJson()).replicas.map((r) => r.modelVersion)).toEqual(['v2', 'v2', 'v2', 'v2']);
  }, 90_000);

  // The canary of an error-prone version under load (judged, rolled back, kept to its share, no
  // failed request) runs in virtual time: src/sim/harness/deploy-vt.test.ts. What stays here is what
  // the harness does not model: the real sampler against a real replica's 500s, and exit code 1.
  it('rolls back a rolling update of an error-prone version on its first replica\'s sampled answers, without client traffic (exit 1)', async () => {
    const r = await halab(home, ['deploy', 'v3', '--behaviour', 'error-rate', '--drain', '100ms', '--watch-time', '300ms', '--verify-timeout', '10s', '--sample-interval', '20ms', '--json']);
    expect(r.code, r.stderr).toBe(1);
    const final = JSON.parse(r.stdout);
    expect(final.state).toBe('rolled-back');
    // the health probes saw no errors (no traffic): the deployment's own samples did
    expect(final.reason).toMatch(/^us-east-1\/backup\/0 failed its answer check on v3: .*error rate \d+(\.\d)?% > 2%/);
    expect(final.steps.filter((s: { type: string }) => s.type === 'deploy.replica-loaded')).toHaveLength(1);
    expect(Object.values(final.versions)).toEqual(['v2', 'v2', 'v2', 'v2']);
  }, 60_000);

  it('deploys blue-green to new processes, retires blue, and status lists the green replicas', async () => {
    const r = await halab(home, ['deploy', 'v4', '--strategy', 'blue-green', '--steps', '50,100', '--step-time', '1s', '--analysis-window', '1s', '--keep-blue', '500ms', '--drain', '1s']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/traffic-shifted +deploy-\d+-v4: green takes 50% of new requests/);
    const s = await statusJson();
    expect(s.replicas.map((x) => `${x.id}@${x.modelVersion}`).sort()).toEqual(['us-east-1/backup/1@v4', 'us-east-1/primary/3@v4', 'us-east-1/primary/4@v4', 'us-east-1/primary/5@v4']);
    expect(s.replicas.every((x) => x.alive && x.healthy)).toBe(true);
    const down = await halab(home, ['down']);
    expect(down.code).toBe(0);
    expect(leftovers(home)).toEqual([]);
    const up = await halab(home, ['up', topology]);
    expect(up.code, up.stderr).toBe(0);
  }, 90_000);
});

describe('a scenario with a deploy action', () => {
  it('records the deployment: timeline, outcome check, client impact and the version of every replica', async () => {
    await halab(home, ['down']);
    const file = join(home, 'deploy-scenario.yaml');
    writeFileSync(
      file,
      `name: short-rolling\ntopology: ${topology}\nseed: 4\nduration: 10s\nload: { ratePerSec: 15, streaming: true, promptTokens: 32, maxTokens: 48 }\n` +
        `deploys:\n  - { at: 2s, version: v2, strategy: rolling, expect: succeeded, options: { drain: 2s, watch: 300ms, verifyTimeout: 10s, sampleInterval: 20ms } }\n` +
        `targets: { failedRequests: 0, truncatedRequests: 0 }\n`,
    );
    const out = join(home, 'run');
    const r = await halab(home, ['run', file, '--out', out]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    const [d] = report.deploys;
    expect(d).toMatchObject({ strategy: 'rolling', version: 'v2', fromVersion: 'v1', outcome: 'succeeded', failedRequests: 0, truncatedRequests: 0 });
    expect(d.finalVersions).toEqual({ 'us-east-1/primary/0': 'v2', 'us-east-1/primary/1': 'v2', 'us-east-1/primary/2': 'v2', 'us-east-1/backup/0': 'v2' });
    expect(d.timeline[0]).toMatchObject({ atMs: 0, type: 'deploy.started' });
    expect(d.timeline.map((s: { type: string }) => s.type)).toContain('deploy.replica-verified');
    const checks = Object.fromEntries(report.verdict.checks.map((c: { name: string; pass: boolean }) => [c.name, c.pass]));
    expect(checks).toMatchObject({ 'deploy[0].outcome': true, 'deploy[0].consistent': true });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('### Timeline of deploy-1-v2');
    expect(leftovers(home)).toEqual([]);
  }, 90_000);
});
