// `halab run` as a user runs it: a short scenario end to end, the report checked against an
// independent count of the raw records, re-measured by `halab report`, a missed target exiting 1,
// a bad file exiting 2, the same seed giving the same schedule, and Ctrl-C healing and cleaning up.
import { spawn } from 'node:child_process';
import { cpSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, ROOT, halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-run-');
const topology = smallTopology(home, 'small', 300);

function scenario(name: string, body: string): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ntopology: ${topology}\n${body}`);
  return file;
}

const crash = scenario(
  'short-crash',
  `seed: 5
duration: 12s
load: { ratePerSec: 20, streaming: true, promptTokens: 32, maxTokens: 48 }
faults:
  - kind: replica.crash
    random: { target: serving-replica, between: [3s, 5s] }
    for: 4s
targets: { availability: 0.999, failedRequests: 0, truncatedRequests: 0, failover: 2s, rto: 5s, ttftP99: 2s }
`,
);

afterAll(async () => {
  await halab(home, ['down']);
});

describe('halab run', () => {
  it('runs a scenario end to end, and report.json matches an independent count of the records', async () => {
    const out = join(home, 'run-crash');
    const r = await halab(home, ['run', crash, '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toMatch(/^PASS {2}short-crash \(seed 5\)/);
    expect(r.stdout).toContain(`reproduce: halab run ${crash} --seed 5`);
    for (const f of ['requests.ndjson', 'events.ndjson', 'report.json', 'report.md', 'schedule.json', 'scenario.yaml', 'topology.yaml']) {
      expect(existsSync(join(out, f)), f).toBe(true);
    }
    const records = readFileSync(join(out, 'requests.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    const count = (o: string) => records.filter((x) => x.outcome === o).length;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.metrics.requests).toMatchObject({ total: records.length, ok: count('ok'), failed: count('failed'), truncated: count('truncated') });
    expect(records.length).toBeGreaterThan(200);
    expect(report).toMatchObject({ scenario: { name: 'short-crash' }, seed: 5, verdict: { pass: true } });
    const [fault] = report.faults;
    expect(fault).toMatchObject({ kind: 'replica.crash', failedRequests: 0, truncatedRequests: 0 });
    expect(fault.target).toMatch(/^us-east-1\/primary\/\d$/);
    expect(Math.round(fault.detectedAtMs - fault.injectedAtMs)).toBe(fault.detectionMs);
    expect(fault.failoverMs).toBeLessThanOrEqual(2000);
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
    expect(events).toContain('"type":"fault.healed"');
    expect(leftovers(home)).toEqual([]);

    // the report recomputed from the raw files alone gives the same figures
    const again = await halab(home, ['report', out, '--json']);
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual(report);

    // JUnit: one test case per target check
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testcase /g)).toHaveLength(report.verdict.checks.length);
    expect(junit).toContain('failures="0"');

    // a baseline of this run and its copy (two runs with no spread between them, so each figure's
    // floor sets its limit; a figure only one run has is not gated) passes its own gate; a run with
    // a slower failover fails it
    const baseline = join(home, 'baselines', 'short-crash.json');
    const twin = join(home, 'run-crash-twin');
    cpSync(out, twin, { recursive: true });
    const made = await halab(home, ['baseline', out, twin, '--out', baseline]);
    expect(made.code, made.stdout + made.stderr).toBe(0);
    const same = await halab(home, ['gate', out, '--baseline', baseline]);
    expect(same.code, same.stdout).toBe(0);
    const slower = join(home, 'run-crash-slower');
    cpSync(out, slower, { recursive: true });
    const delayed = readFileSync(join(slower, 'events.ndjson'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l))
      .map((e) => (['routing.removed', 'passive.eject', 'replica.disconnected', 'health.unhealthy'].includes(e.type) && fault.replicas.includes(e.subject) && e.atMs >= fault.injectedAtMs ? { ...e, atMs: e.atMs + 3000 } : e));
    writeFileSync(join(slower, 'events.ndjson'), delayed.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const gate = await halab(home, ['gate', slower, '--baseline', baseline]);
    expect(gate.code).toBe(1);
    expect(gate.stdout).toMatch(/^REGRESSION/);
    expect(gate.stdout).toMatch(/failoverMs .* prediction-limit .* REGRESSED/);
  }, 90_000);

  it('runs a suite: scenarios in sequence, one summary and one JUnit file, exit 1 when one fails', async () => {
    const ok = scenario('suite-ok', `seed: 1\nduration: 4s\nload: { ratePerSec: 10, maxTokens: 16 }\ntargets: { failedRequests: 0 }\n`);
    const bad = scenario('suite-bad', `seed: 1\nduration: 4s\nload: { ratePerSec: 10, maxTokens: 16 }\ntargets: { ttftP99: 1ms }\n`);
    const suiteFile = join(home, 'nightly.yaml');
    writeFileSync(suiteFile, `name: nightly\nscenarios: [${ok}, ${bad}]\n`);
    const out = join(home, 'run-suite');
    const r = await halab(home, ['run', suiteFile, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/suite nightly: 1\/2 passed/);
    const junit = readFileSync(join(out, 'junit.xml'), 'utf8');
    expect(junit.match(/<testsuite /g)).toHaveLength(2);
    expect(junit).toMatch(/<testsuite name="suite-bad" tests="1" failures="1"/);
    expect(junit).toMatch(/<failure message="ttftP99Ms: actual [\d.]+, target &lt;= 1ms"/);
    expect(existsSync(join(out, 'suite-ok', 'report.json'))).toBe(true);
  }, 60_000);

  it('exits 1 and names the check when a target is missed', async () => {
    const file = scenario('impossible', `seed: 1\nduration: 4s\nload: { ratePerSec: 10, maxTokens: 16 }\ntargets: { ttftP99: 1ms, failedRequests: 0 }\n`);
    const out = join(home, 'run-impossible');
    const r = await halab(home, ['run', file, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^FAIL/);
    expect(r.stdout).toMatch(/MISS ttftP99Ms: [\d.]+ \(target <= 1ms\)/);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.verdict.checks.find((c: { name: string }) => c.name === 'ttftP99Ms')).toMatchObject({ pass: false });
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/ttftP99Ms \| <= 1ms \| [\d.]+ \| \*\*FAIL\*\*/);
  }, 60_000);

  it('exits 2 on an invalid scenario, naming the file and the field', async () => {
    const file = scenario('broken', `duration: 10s\nfaults:\n  - { kind: gpu.melt, target: us-east-1/primary/0, at: 2s }\n`);
    const r = await halab(home, ['run', file]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(`${file}: faults[0].kind: unknown fault kind "gpu.melt"`);
    expect(leftovers(home)).toEqual([]);
    const missing = await halab(home, ['run', join(home, 'nope.yaml')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/nope\.yaml: cannot read scenario file \(ENOENT\)/);
  });

  it('gives the same fault schedule for the same seed', async () => {
    const file = join(ROOT, 'scenarios', 'mixed-replica-faults.yaml');
    const a = await halab(home, ['run', file, '--schedule-only']);
    const b = await halab(home, ['run', file, '--schedule-only']);
    const c = await halab(home, ['run', file, '--schedule-only', '--seed', '99']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).schedule).toHaveLength(4);
    expect(c.stdout).not.toBe(a.stdout);
  });

  it('on Ctrl-C stops the load, heals the faults, tears the lab down and says so', async () => {
    const file = scenario('interrupted', `seed: 2\nduration: 60s\nload: { ratePerSec: 10, maxTokens: 16 }\nfaults:\n  - { kind: gpu.xid, target: us-east-1/primary/0, at: 1s }\n`);
    const out = join(home, 'run-interrupted');
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', out], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the fault was never injected: ${stderr}`)), 30_000);
      child.stderr.on('data', () => {
        if (/faults: gpu\.xid/.test(stderr) || existsSync(join(home, 'lab', 'faults.json'))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code).toBe(130);
    expect(stderr).toMatch(/interrupted: stopping load, healing faults, tearing the lab down/);
    expect(leftovers(home)).toEqual([]);
    expect(existsSync(join(home, 'lab'))).toBe(false);
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
    expect(events).toContain('"type":"fault.healed"');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.meta.interrupted).toBe(true);
    expect(report.verdict.pass).toBe(false);
  }, 60_000);
});
