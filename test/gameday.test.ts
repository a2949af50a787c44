// A game day as an SRE runs it: the same seed plans the same faults, and an abort condition stops
// the game day, heals every fault and leaves nothing behind.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome } from './helpers.js';
import { writeFileSync } from 'node:fs';

const home = makeHome('halab-gameday-');

afterAll(async () => {
  await halab(home, ['down']);
});

describe('halab gameday', () => {
  it('plans the same faults in the same order for the same seed', async () => {
    const a = await halab(home, ['gameday', '--plan-only', '--duration', '10m', '--seed', '42']);
    const b = await halab(home, ['gameday', '--plan-only', '--duration', '10m', '--seed', '42']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).plan.length).toBeGreaterThan(5);
    const bad = await halab(home, ['gameday', '--plan-only', '--kinds', 'gpu.explode']);
    expect(bad.code).toBe(2);
  });

  it('aborts when availability crosses its bound, heals, reports and leaves nothing behind', async () => {
    // one replica only: killing it leaves nothing to fail over to, so availability collapses
    const topology = join(home, 'single.yaml');
    writeFileSync(topology, 'name: single\nmodelLoadMs: 300\nregions:\n  - name: us-east-1\n    host: 127.0.1.1\n    clusters:\n      - { name: primary, gpus: 1 }\n');
    const out = join(home, 'gd');
    const r = await halab(home, ['gameday', topology, '--duration', '40s', '--seed', '1', '--rate', '10', '--kinds', 'replica.crash', '--mean-interval', '2s', '--min-fault', '20s', '--max-fault', '25s', '--max-replicas', '1', '--abort-availability', '0.9', '--abort-window', '3s', '--out', out]);
    expect(r.code, r.stderr).toBe(1);
    expect(r.stdout).toMatch(/ABORTED: availability over the last 3s fell to/);
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8');
    expect(events).toContain('"type":"gameday.aborted"');
    expect(events).toContain('"type":"fault.healed"');
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8'));
    expect(report.meta.aborted).toMatch(/availability/);
    expect(report.meta.endedAtMs - report.meta.startedAtMs).toBeLessThan(35_000);
    expect(existsSync(join(out, 'report.html'))).toBe(true);
    expect(existsSync(join(out, 'gameday.yaml'))).toBe(true);
    expect(leftovers(home)).toEqual([]);
  }, 90_000);
});
