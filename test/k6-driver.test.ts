// The k6 load driver against a real small lab: records parsed from k6's output match an
// independent count and the report, the driver is recorded, a failed k6 threshold (exit 99) fails
// the verdict, Ctrl-C stops k6 and leaves nothing behind — and, without k6, the built-in driver
// runs and the report says so (that part needs no k6 and always runs).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findK6 } from '../src/load/k6-binary.js';
import { BIN, ROOT, halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-k6-');
const topology = smallTopology(home, 'small', 300);
const k6 = findK6();
if (!k6.path) console.warn(`SKIPPED k6 integration tests: the k6 binary is absent (${k6.reason}); run scripts/setup.sh to install it`);

function scenario(name: string, body: string): string {
  const file = join(home, `${name}.yaml`);
  writeFileSync(file, `name: ${name}\ntopology: ${topology}\n${body}`);
  return file;
}

function records(dir: string): { outcome: string; correct: boolean | null; replicas: string[]; firstTokenMs?: number; startMs: number }[] {
  return readFileSync(join(dir, 'requests.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** k6 processes running this worktree's script. */
function k6Processes(): number[] {
  const script = join(ROOT, 'scenarios', 'k6', 'chat-stream.js');
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0').includes(script);
      } catch {
        return false;
      }
    })
    .map(Number);
}

afterAll(async () => {
  await halab(home, ['down']);
});

describe.skipIf(!k6.path)('k6 driver against a real lab', () => {
  it('turns k6 output into records that match an independent count, under a replica crash', async () => {
    const file = scenario(
      'k6-crash',
      `seed: 3
duration: 10s
load: { driver: k6, ratePerSec: 10, arrival: constant, promptTokens: 24, maxTokens: 40, timeout: 15s }
faults:
  - kind: replica.crash
    random: { target: serving-replica, between: [3s, 4s] }
    for: 3s
targets: { availability: 0.99, failedRequests: 0, truncatedRequests: 0, ttftP99: 3s }
`,
    );
    const out = join(home, 'run-k6-crash');
    const r = await halab(home, ['run', file, '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stderr).toMatch(/load driver: k6 \(k6 v\d+\.\d+\.\d+/);
    const recs = records(out);
    // constant-arrival-rate: 10/s for 10 s starts 100 (k6 may start the 101st at the boundary)
    expect(recs.length).toBeGreaterThanOrEqual(99);
    expect(recs.length).toBeLessThanOrEqual(101);
    const count = (o: string) => recs.filter((x) => x.outcome === o).length;
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.metrics.requests).toMatchObject({ total: recs.length, ok: count('ok'), failed: count('failed'), truncated: count('truncated'), timedOut: count('timeout') });
    expect(count('ok')).toBe(recs.length);
    expect(recs.every((x) => x.correct === true && x.replicas.length >= 1 && x.firstTokenMs! >= x.startMs)).toBe(true);
    expect(new Set(recs.flatMap((x) => x.replicas)).size).toBeGreaterThanOrEqual(2);
    expect(report.meta).toMatchObject({ driver: 'k6', k6: { exitCode: 0, failedThresholds: [], thresholds: 2 } });
    expect(report.verdict.checks).toContainEqual(expect.objectContaining({ name: 'k6Thresholds', actual: 0, pass: true }));
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toMatch(/Load driver: \*\*k6\*\*/);
    expect(leftovers(home)).toEqual([]);
    expect(k6Processes()).toEqual([]);
    // recomputed from the run directory alone: the same report, k6 check included
    const again = await halab(home, ['report', out, '--json']);
    expect(JSON.parse(again.stdout)).toEqual(report);
  }, 90_000);

  it('maps k6 exit 99 (a threshold failed) to a failing k6Thresholds check', async () => {
    const file = scenario('k6-threshold', `seed: 1\nduration: 3s\nload: { driver: k6, ratePerSec: 5, maxTokens: 16 }\ntargets: { ttftP99: 1ms }\n`);
    const out = join(home, 'run-k6-threshold');
    const r = await halab(home, ['run', file, '--out', out]);
    expect(r.code, r.stderr + r.stdout).toBe(1);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.meta.k6).toMatchObject({ exitCode: 99, failedThresholds: ['halab_ttft: p(99)<=1'] });
    expect(report.verdict.checks).toContainEqual(expect.objectContaining({ name: 'k6Thresholds', actual: 99, pass: false, detail: 'k6 exited 99: halab_ttft: p(99)<=1' }));
    expect(r.stdout).toMatch(/MISS k6Thresholds: 99/);
  }, 60_000);

  it('on Ctrl-C stops k6, tears the lab down and leaves no k6 process', async () => {
    const file = scenario('k6-interrupted', `seed: 2\nduration: 60s\nload: { driver: k6, ratePerSec: 5, maxTokens: 16 }\n`);
    const out = join(home, 'run-k6-interrupted');
    const child = spawn(process.execPath, [BIN, 'run', file, '--out', out], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home } });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`k6 never produced a record: ${stderr}`)), 40_000);
      child.stderr.on('data', () => {
        if (/done\/s/.test(stderr)) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    expect(k6Processes()).toHaveLength(1);
    child.kill('SIGINT');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(130);
    expect(k6Processes()).toEqual([]);
    expect(leftovers(home)).toEqual([]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.meta).toMatchObject({ driver: 'k6', interrupted: true });
    expect(report.metrics.requests.total).toBeGreaterThan(0);
  }, 90_000);
});

describe('k6 missing', () => {
  it('runs the built-in driver instead and says so in the output, report.json and report.md', async () => {
    const file = scenario('k6-fallback', `seed: 1\nduration: 3s\nload: { driver: k6, ratePerSec: 5, maxTokens: 16 }\ntargets: { failedRequests: 0 }\n`);
    const out = join(home, 'run-k6-fallback');
    const saved = process.env.HALAB_K6;
    process.env.HALAB_K6 = join(home, 'no-such-k6');
    try {
      const r = await halab(home, ['run', file, '--out', out]);
      expect(r.code, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/load driver builtin: k6 requested but not found/);
      const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
      expect(report.meta.driver).toBe('builtin');
      expect(report.meta.driverNote).toBe(`k6 requested but not found (HALAB_K6=${join(home, 'no-such-k6')} is not an executable file); the built-in driver ran instead`);
      expect(report.meta.k6).toBeUndefined();
      expect(report.verdict.checks.map((c: { name: string }) => c.name)).not.toContain('k6Thresholds');
      expect(report.metrics.requests.total).toBeGreaterThanOrEqual(10);
      expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('Load driver: **builtin** — k6 requested but not found');
    } finally {
      if (saved === undefined) delete process.env.HALAB_K6;
      else process.env.HALAB_K6 = saved;
    }
  }, 60_000);
});
