// report.html rendered in headless Chromium (Debian's package): the page loads from disk with no
// network and its inline script draws every chart with the run's data and fault windows.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { writeRunReport } from '../src/report/run-report.js';
import { makeHome } from './helpers.js';

const CHROMIUM = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));

function syntheticRun(dir: string): void {
  mkdirSync(dir, { recursive: true });
  const t0 = 1_700_000_000_000;
  writeFileSync(join(dir, 'scenario.yaml'), 'name: html-demo\nduration: 20s\ntargets: { availability: 0.99, failover: 2s }\n');
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ seed: 4, scenarioFile: 'scenarios/html-demo.yaml', startedAtMs: t0, endedAtMs: t0 + 20_000, interrupted: false }));
  const records = Array.from({ length: 200 }, (_, i) => {
    const startMs = t0 + i * 100;
    const failed = i >= 80 && i < 84;
    return { id: `r${i}`, startMs, firstTokenMs: startMs + 20 + (i % 7), endMs: startMs + 400, streaming: true, tokens: 10, expectedTokens: 10, outcome: failed ? 'failed' : 'ok', correct: failed ? null : true, replicas: ['a/p/0'], resumes: 0 };
  });
  writeFileSync(join(dir, 'requests.ndjson'), records.map((r) => JSON.stringify(r)).join('\n') + '\n');
  const ev = (at: number, source: string, type: string, subject: string, data?: object) => JSON.stringify({ atMs: t0 + at, source, type, subject, ...(data ? { data } : {}) });
  const fault = { kind: 'replica.crash', target: 'a/p/1', replicas: ['a/p/1'] };
  writeFileSync(
    join(dir, 'events.ndjson'),
    [ev(8000, 'chaos', 'fault.injected', 'f1', fault), ev(8010, 'controlplane', 'replica.disconnected', 'a/p/1'), ev(8020, 'controlplane', 'routing.removed', 'a/p/1'), ev(12_000, 'chaos', 'fault.healed', 'f1', fault)].join('\n') + '\n',
  );
}

describe.skipIf(!CHROMIUM)('report.html', () => {
  it('renders in headless Chromium with its charts drawn', () => {
    const dir = join(makeHome('halab-html-'), 'run');
    syntheticRun(dir);
    writeRunReport(dir);
    const html = readFileSync(join(dir, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)="https?:/); // nothing from the network
    const r = spawnSync(
      CHROMIUM!,
      ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', `--user-data-dir=${join(dir, 'chromium-profile')}`, '--dump-dom', `file://${join(dir, 'report.html')}`],
      { encoding: 'utf8', timeout: 60_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const dom = r.stdout;
    expect(dom.match(/data-drawn="true"/g)).toHaveLength(3);
    const points = [...dom.matchAll(/class="series" data-points="(\d+)"/g)].map((m) => Number(m[1]));
    expect(points).toEqual([20, 20, 20]);
    expect(dom.match(/class="fault"/g)).toHaveLength(3);
    expect(dom.match(/class="marker failover"/g)).toHaveLength(3);
    expect(dom).toMatch(/<h1>html-demo: <span class="fail">FAIL<\/span><\/h1>/); // 196 of 200 ok: 0.98 < the 0.99 target
    expect(dom).toContain('Annualized estimate');
  }, 90_000);
});
