// `halab trend` and `halab gate` on synthetic run directories: the trend page renders in headless
// Chromium with one drawn chart per gated metric, the baseline band, and a red dot for the run
// whose failover regressed; the gate's JUnit has one test case per metric.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { halab, makeHome } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

/** A 20 s run with one replica crash; `failoverMs` sets when the replica leaves routing. */
function syntheticRun(dir: string, index: number, failoverMs: number): void {
  mkdirSync(dir, { recursive: true });
  const t0 = 1_700_000_000_000 + index * 86_400_000;
  writeFileSync(join(dir, 'scenario.yaml'), 'name: trend-demo\nduration: 20s\ntargets: { availability: 0.99, failover: 2s }\n');
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ seed: 4, scenarioFile: 'scenarios/trend-demo.yaml', startedAtMs: t0, endedAtMs: t0 + 20_000, interrupted: false }));
  const records = Array.from({ length: 200 }, (_, i) => {
    const startMs = t0 + i * 100;
    return { id: `r${i}`, startMs, firstTokenMs: startMs + 20 + ((i * 7 + index) % 11), endMs: startMs + 400, streaming: true, tokens: 10, expectedTokens: 10, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0 };
  });
  writeFileSync(join(dir, 'requests.ndjson'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const ev = (at: number, source: string, type: string, subject: string, data?: object) => JSON.stringify({ atMs: t0 + at, source, type, subject, ...(data ? { data } : {}) });
  const fault = { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'] };
  writeFileSync(
    join(dir, 'events.ndjson'),
    [ev(8000, 'chaos', 'fault.injected', 'f1', fault), ev(8010 + index, 'controlplane', 'replica.disconnected', 'a/p/1'), ev(8000 + failoverMs, 'controlplane', 'routing.removed', 'a/p/1'), ev(12_000, 'chaos', 'fault.healed', 'f1', fault)].join('\n') + '\n',
  );
}

describe('halab trend and gate on synthetic runs', () => {
  const home = makeHome('halab-trend-');
  [20, 25, 18, 22, 24].forEach((ms, i) => syntheticRun(join(home, 'baseline-runs', `run-${i + 1}`), i, ms));
  const nightly = [21, 23, 700].map((ms, i) => {
    const dir = join(home, 'nightly', `n${i + 1}`);
    syntheticRun(dir, 10 + i, ms);
    return dir;
  });
  const baseline = join(home, 'baselines', 'trend-demo.json');

  it('gates with one JUnit test case per metric and names the regressed one', async () => {
    expect((await halab(home, ['baseline', join(home, 'baseline-runs'), '--out', baseline])).code).toBe(0);
    const b = JSON.parse(readFileSync(baseline, 'utf8'));
    expect(b).toMatchObject({ format: 2, scenario: 'trend-demo', runs: 5, figures: { failoverMs: [20, 25, 18, 22, 24] } });
    expect(b.ttftMs.sample).toHaveLength(1000);
    const ok = await halab(home, ['gate', nightly[0]!, '--baseline', baseline]);
    expect(ok.code, ok.stdout).toBe(0);
    const junitFile = join(home, 'gate.xml');
    const bad = await halab(home, ['gate', nightly[2]!, '--baseline', baseline, '--junit', junitFile]);
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(/failoverMs +21\.8 +700 +prediction-limit .* REGRESSED/);
    const junit = readFileSync(junitFile, 'utf8');
    const json = JSON.parse((await halab(home, ['gate', nightly[2]!, '--baseline', baseline, '--json'])).stdout);
    expect(junit.match(/<testcase /g)).toHaveLength(json.rows.length);
    expect(junit.match(/<failure /g)).toHaveLength(1);
    expect(junit).toMatch(/<testcase classname="halab.gate.trend-demo" name="failoverMs" time="0">\n\s+<failure message="failoverMs: baseline 21.8, now 700/);
  }, 60_000);

  it.skipIf(!CHROMIUM)('draws every metric across runs in headless Chromium', async () => {
    const out = join(home, 'trend.html');
    const r = await halab(home, ['trend', ...nightly, '--baseline', baseline, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/trend of 3 run\(s\) of 1 scenario\(s\) written to .*; 1 run\(s\) regressed/);
    const html = readFileSync(out, 'utf8');
    expect(html).not.toMatch(/(src|href)="https?:/);
    const c = spawnSync(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(home, 'chromium-profile')}`, '--dump-dom', `file://${out}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(c.status, c.stderr).toBe(0);
    const dom = c.stdout;
    const charts = dom.match(/<svg class="chart"/g)?.length ?? 0;
    expect(charts).toBeGreaterThanOrEqual(6); // ttft, 3 counts, detection, failover, rto, p99, resumed
    expect(dom.match(/data-drawn="true"/g)).toHaveLength(charts);
    expect([...dom.matchAll(/class="series" data-points="(\d+)"/g)].map((m) => Number(m[1]))).toEqual(Array(charts).fill(3));
    expect(dom).toMatch(/data-metric="failoverMs"[\s\S]*?class="band"[\s\S]*?<\/svg>/);
    expect(dom.match(/class="dot fail"/g)).toHaveLength(1);
    expect(dom).toMatch(/<td class="fail">REGRESSION<\/td><td>failoverMs<\/td>/);
  }, 90_000);
});
