// `halab baseline <scenario> --runs N` and `halab run --repeat N` on a real (small) lab: N same-seed
// runs each, the baseline holding every run's figures, the repeats gated together. The verdict
// itself depends on this machine's timing noise, so only its shape is checked here (the gate's
// decisions are tested on synthetic runs in src/report/gate.test.ts).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-repeat-');
const topology = smallTopology(home, 'small', 300);
const file = join(home, 'repeat-crash.yaml');
writeFileSync(
  file,
  `name: repeat-crash\ntopology: ${topology}\nseed: 3\nduration: 6s\nload: { ratePerSec: 15, streaming: true, promptTokens: 32, maxTokens: 32 }\nfaults:\n  - { kind: replica.crash, target: us-east-1/primary/0, at: 2s, for: 3s }\ntargets: { failedRequests: 0 }\n`,
);

afterAll(async () => {
  await halab(home, ['down']);
});

describe('baselines from repeated runs', () => {
  it('halab baseline --runs 2 runs the scenario twice with its seed; run --repeat 2 gates both runs together', async () => {
    const baseline = join(home, 'b.json');
    const b = await halab(home, ['baseline', file, '--runs', '2', '--out', baseline, '--keep', join(home, 'kept')], 240_000);
    expect(b.code, b.stdout + b.stderr).toBe(0);
    expect(b.stdout).toMatch(/repeat-crash run 1\/2/);
    expect(b.stdout).toMatch(/baselines: 1 scenario\(s\) × 2 run\(s\) in \d+ s/);
    const doc = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(doc).toMatchObject({ format: 2, scenario: 'repeat-crash', seed: 3, runs: 2 });
    expect(doc.from).toEqual([join(home, 'kept', 'repeat-crash', 'run-1'), join(home, 'kept', 'repeat-crash', 'run-2')]);
    expect(doc.figures.failoverMs).toHaveLength(2);
    expect(doc.counts.failedRequests.exposures.every((n: number) => n > 50)).toBe(true);

    const out = join(home, 'rep');
    const r = await halab(home, ['run', file, '--repeat', '2', '--out', out, '--baseline', baseline], 240_000);
    expect([0, 1]).toContain(r.code);
    expect(existsSync(join(out, 'run-1', 'report.json')) && existsSync(join(out, 'run-2', 'report.json'))).toBe(true);
    expect(r.stdout).toMatch(/(PASS|REGRESSION) {2}repeat-crash: 2 run\(s\) against .*b\.json \(2 baseline run\(s\)\)/);
    expect(r.stdout).toMatch(/failoverMs .* prediction-limit/);
    expect(leftovers(home)).toEqual([]);
  }, 480_000);

  it('refuses a bad --repeat and --runs with exit 2', async () => {
    expect((await halab(home, ['run', file, '--repeat', 'x'])).code).toBe(2);
    expect((await halab(home, ['baseline', file, '--runs', '0'])).code).toBe(2);
    const none = await halab(home, ['gate', join(home, 'nope')]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/not a run directory/);
  });
});
