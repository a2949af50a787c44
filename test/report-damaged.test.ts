// `halab report` on a run directory whose record files are damaged: a torn final line (a crash
// mid-write) is left out with a warning; a damaged line before the end exits 2 naming file and line.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { halab, makeHome } from './helpers.js';

const home = makeHome('halab-report-damaged-');
const t0 = 1_700_000_000_000;

/** A small run directory written by hand: 20 ok requests, no faults; lines without `v` (version 1). */
function runDir(name: string, requests: string): string {
  const dir = join(home, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'scenario.yaml'), 'name: damaged\nduration: 2s\ntargets: { availability: 0.9 }\n');
  writeFileSync(join(dir, 'meta.json'), JSON.stringify({ seed: 1, scenarioFile: 'damaged.yaml', startedAtMs: t0, endedAtMs: t0 + 2000, interrupted: false }));
  writeFileSync(join(dir, 'requests.ndjson'), requests);
  writeFileSync(join(dir, 'events.ndjson'), JSON.stringify({ atMs: t0, source: 'load', type: 'load.started', subject: 'load', data: { driver: 'builtin', ratePerSec: 10 } }) + '\n');
  return dir;
}

const lines = Array.from({ length: 20 }, (_, i) =>
  JSON.stringify({ id: `r${i}`, startMs: t0 + i * 100, firstTokenMs: t0 + i * 100 + 20, endMs: t0 + i * 100 + 80, streaming: true, tokens: 4, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0 }),
);

describe('halab report on damaged records', () => {
  it('leaves out a torn last line and says so', async () => {
    const dir = runDir('torn', lines.join('\n') + '\n' + lines[0]!.slice(0, 30));
    const r = await halab(home, ['report', dir]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('requests 20:');
    expect(r.stdout).toContain(`warning: ${join(dir, 'requests.ndjson')}:21: torn final line`);
  });

  it('exits 2 naming file and line for a damaged line before the end', async () => {
    const damaged = [...lines];
    damaged[6] = damaged[6]!.slice(0, 40);
    const dir = runDir('damaged', damaged.join('\n') + '\n');
    const r = await halab(home, ['report', dir]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`halab: ${join(dir, 'requests.ndjson')}:7: damaged record: not JSON`);
  });
});
