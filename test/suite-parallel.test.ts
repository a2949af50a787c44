// Suites in parallel labs at a compressed time scale: `halab run <suite> --parallel 2
// --time-scale 0.5` on two small scenarios — each in its own lab (HALAB_HOME, loopback block),
// each report stating the scale, targets compared in real ms, nothing of either lab left behind.
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findLabProcesses } from '../src/process/reaper.js';
import { BIN, ROOT, halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-suite-par-');
const topology = smallTopology(home, 'small', 300);
const scenario = (name: string, seed: number, duration = '6s'): string => {
  const file = join(home, `${name}.yaml`);
  writeFileSync(
    file,
    `name: ${name}\ntopology: ${topology}\nseed: ${seed}\nduration: ${duration}\nload: { ratePerSec: 8, streaming: true, promptTokens: 32, maxTokens: 32 }\nfaults:\n  - { kind: replica.crash, target: us-east-1/primary/0, at: 2s, for: 2s }\ntargets: { detection: 10s }\n`,
  );
  return file;
};
const suite = join(home, 'suite.yaml');
writeFileSync(suite, `name: par\nscenarios:\n  - ${scenario('par-a', 1)}\n  - ${scenario('par-b', 2)}\n`);

afterAll(async () => {
  await halab(home, ['down']);
  await halab(join(home, 'parallel-1'), ['down']);
});

describe('a suite in parallel labs at a time scale', () => {
  it('runs both scenarios at once in separate labs, compressed, and states the scale', async () => {
    const out = join(home, 'out');
    const r = await halab(home, ['run', suite, '--parallel', '2', '--time-scale', '0.5', '--out', out], 240_000);
    expect([0, 1], r.stdout + r.stderr).toContain(r.code);
    expect(r.stdout).toMatch(/suite par: \d\/2 passed; \d+ s wall, 2 lab\(s\) at once, time scale 0.5/);
    // what the suite cost: the CPU of both labs reaches the parent through its child runs
    const cost = /cost: (\d+) s wall, CPU (\d+) s \(halab ([\d.]+) s \+ labs (\d+) s\) = [\d.]+ cores busy on average; load average [\d. ]+ → [\d. ]+/.exec(r.stdout);
    expect(cost, r.stdout).not.toBeNull();
    // two labs of 4 Node processes each, started and stopped, cost more than a few CPU-seconds
    expect(Number(cost![4])).toBeGreaterThan(2);
    // each child run says what it and its lab used
    for (const n of ['par-a', 'par-b']) expect(r.stderr).toMatch(new RegExp(`\\[${n}\\] cpu: ${n} [\\d.]+ s wall, CPU [\\d.]+ s \\(halab [\\d.]+ s \\+ lab [\\d.]+ s\\)`));
    const reports = ['par-a', 'par-b'].map((n) => JSON.parse(readFileSync(join(out, n, 'report.json'), 'utf8')));
    for (const rep of reports) {
      expect(rep.meta.timeScale).toBe(0.5);
      // 6 s of lab time at 8 requests per lab second: about 48 requests in 3 real seconds
      expect(rep.metrics.requests.total).toBeGreaterThan(25);
      expect(rep.targets.detectionMs).toBe(5000);
      expect(rep.reproduce).toMatch(/--time-scale 0.5$/);
    }
    expect(r.stdout).toMatch(/time scale 0.5: lab time ran 2.00× faster/);
    // lock-step: both labs put load on together once both are up, so neither lab's start-up
    // (from its run's start to its load) lies inside the other's load window
    const windows = ['par-a', 'par-b'].map((n) => {
      const events = readFileSync(join(out, n, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { atMs: number; type: string; data?: { startedMs: number } });
      const at = (type: string): number => events.find((e) => e.type === type)!.atMs;
      const upMs = at('lab.up');
      return { startMs: upMs - events.find((e) => e.type === 'lab.up')!.data!.startedMs, upMs, loadMs: at('load.started'), loadEndMs: at('load.stopped') };
    });
    const [a, b] = windows as [typeof windows[0], typeof windows[0]];
    expect(Math.abs(a.loadMs - b.loadMs), JSON.stringify(windows)).toBeLessThan(1000);
    for (const [x, y] of [[a, b], [b, a]] as const) expect(x.upMs <= y.loadMs || x.startMs >= y.loadEndMs, JSON.stringify(windows)).toBe(true);
    expect(r.stderr).not.toMatch(/lockstep:/);
    // one lab in the default block, the other moved to 127.1.x.y
    const hosts = ['par-a', 'par-b'].map((n) => /host: (127\.\d+)\./.exec(readFileSync(join(out, n, 'topology.yaml'), 'utf8'))![1]).sort();
    expect(hosts).toEqual(['127.0', '127.1']);
    expect(leftovers(home)).toEqual([]);
    expect(findLabProcesses(join(home, 'parallel-1', 'lab'))).toEqual([]);
    expect(existsSync(join(home, 'parallel-1', 'lab'))).toBe(false);
  }, 300_000);

  it('on Ctrl-C of the whole process group (as a terminal sends it), both labs heal and come down', async () => {
    const long = join(home, 'long.yaml');
    writeFileSync(long, `name: long\nscenarios:\n  - ${scenario('long-a', 3, '90s')}\n  - ${scenario('long-b', 4, '90s')}\n`);
    // detached: the suite and its child labs get the group's SIGINT together, as from a terminal
    const child = spawn(process.execPath, [BIN, 'run', long, '--parallel', '2', '--out', join(home, 'out-long')], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home }, detached: true });
    let stderr = '';
    child.stderr.on('data', (b) => (stderr += b));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`both labs never came up: ${stderr}`)), 120_000);
      child.stderr.on('data', () => {
        if ((stderr.match(/lab up;/g) ?? []).length >= 2) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    process.kill(-child.pid!, 'SIGINT');
    const code = await new Promise<number>((resolve) => child.on('close', (c) => resolve(c ?? -1)));
    expect(code, stderr).toBe(130);
    expect(leftovers(home)).toEqual([]);
    expect(findLabProcesses(join(home, 'parallel-1', 'lab'))).toEqual([]);
    expect(existsSync(join(home, 'parallel-1', 'lab'))).toBe(false);
  }, 240_000);

  it('refuses a bad --time-scale and --parallel with exit 2, naming the flag', async () => {
    const a = await halab(home, ['run', suite, '--time-scale', '3']);
    expect(a.code).toBe(2);
    expect(a.stderr).toMatch(/--time-scale must be a number from 0.1 to 1/);
    const b = await halab(home, ['run', suite, '--parallel', '0']);
    expect(b.code).toBe(2);
    expect(b.stderr).toMatch(/--parallel must be a whole number from 1 to 8/);
  });
});
