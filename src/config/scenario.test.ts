import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { buildScenario, loadScenario, resolveSchedule } from './scenario.js';

const base = {
  name: 'demo',
  duration: '30s',
  faults: [
    { kind: 'replica.crash', target: 'us-east-1/primary/0', at: '5s', for: '3s' },
    { kind: 'gpu.xid', random: { target: 'serving-replica', between: ['10s', '20s'], count: 2 } },
  ],
  targets: { availability: 0.999, failover: '2s', ttftP99: 800 },
};

const candidates = {
  replicas: ['a/p/0', 'a/p/1', 'a/p/2', 'a/b/0'],
  serving: ['a/p/0', 'a/p/1', 'a/p/2'],
  clusters: ['a/p', 'a/b'],
  regions: ['a'],
};

function errorOf(data: unknown): ConfigError {
  try {
    buildScenario(data, 'x.yaml');
  } catch (err) {
    return err as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('scenario files', () => {
  it('parses durations and targets into unit-suffixed fields with defaults', () => {
    const s = buildScenario(base, 'x.yaml');
    expect(s.durationMs).toBe(30_000);
    expect(s.targets).toEqual({ availability: 0.999, failoverMs: 2000, ttftP99Ms: 800 });
    expect(s.load).toMatchObject({ driver: 'builtin', ratePerSec: 20, streaming: true, timeoutMs: 30_000 });
    expect(s.topology).toBe('cluster/two-region.yaml');
  });

  it('names the file, the field path and what was expected', () => {
    const unknown = errorOf({ ...base, faults: [{ kind: 'replica.explode', target: 'x', at: '1s' }] });
    expect(unknown.message).toMatch(/^x\.yaml: faults\[0\]\.kind: unknown fault kind "replica\.explode"; known: replica\.crash/);
    expect(errorOf({ ...base, duration: 'soon' }).fieldPath).toBe('duration');
    expect(errorOf({ ...base, load: { ratePerSec: -1 } }).fieldPath).toBe('load.ratePerSec');
    expect(errorOf({ ...base, extra: 1 }).message).toMatch(/extra/);
    expect(errorOf({ ...base, faults: [{ kind: 'gpu.xid', target: 'a/p/0', at: '40s' }] }).message).toMatch(/after the end of the run/);
  });

  it('reports unreadable and invalid YAML files by name', () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-scn-'));
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'name: demo\nduration: 10s\nload: { ratePerSec: 5\n');
    expect(() => loadScenario(bad)).toThrow(/bad\.yaml:4:1: scenario file is not valid YAML: /);
    expect(() => loadScenario(join(dir, 'missing.yaml'))).toThrow(/missing\.yaml.*ENOENT/);
  });

  it('gives the same schedule for the same seed and a different one for another', () => {
    const s = buildScenario(base, 'x.yaml');
    const a = resolveSchedule(s, candidates, createRng(42).fork('schedule'));
    const b = resolveSchedule(s, candidates, createRng(42).fork('schedule'));
    const c = resolveSchedule(s, candidates, createRng(43).fork('schedule'));
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    expect(a).toHaveLength(3);
    expect(a[0]).toMatchObject({ kind: 'replica.crash', target: 'us-east-1/primary/0', atMs: 5000, forMs: 3000 });
    const random = a.filter((f) => f.kind === 'gpu.xid');
    expect(new Set(random.map((f) => f.target)).size).toBe(2); // two distinct serving replicas
    for (const f of random) {
      expect(candidates.serving).toContain(f.target);
      expect(f.atMs).toBeGreaterThanOrEqual(10_000);
      expect(f.atMs).toBeLessThanOrEqual(20_000);
    }
  });

  it('spreads overlapping random faults over different replicas while there are enough', () => {
    const s = buildScenario(
      { name: 'mix', duration: '30s', faults: ['replica.crash', 'gpu.xid', 'gpu.thermal'].map((kind) => ({ kind, random: { between: ['5s', '9s'] } })) },
      'x.yaml',
    );
    const targets = resolveSchedule(s, candidates, createRng(1)).map((f) => f.target);
    expect(new Set(targets).size).toBe(3);
  });

  it('ships scenario files that all validate', async () => {
    const { readdirSync } = await import('node:fs');
    const files = readdirSync('scenarios').filter((f) => f.endsWith('.yaml'));
    expect(files).toContain('replica-crash.yaml');
    for (const f of files) expect(() => loadScenario(join('scenarios', f))).not.toThrow();
  });
});
