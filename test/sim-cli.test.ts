// The capacity planner's commands as a user runs them.
import { describe, expect, it } from 'vitest';
import { halab, makeHome } from './helpers.js';

const home = makeHome('halab-sim-');

describe('availability, simulate and plan', () => {
  it("prints the seed's example and where it disagrees with its formula", async () => {
    const r = await halab(home, ['availability']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/cluster +99\.9999502%/);
    expect(r.stdout).toMatch(/it claims a 4-GPU cluster is 99\.9%/);
    const json = JSON.parse((await halab(home, ['availability', '--json'])).stdout);
    expect(json.seedFormula.cluster).toBe(1 - (0.005 ** 4 + 4 * 0.995 * 0.005 ** 3));
  });

  it('gives byte-identical JSON for the same seed', async () => {
    const a = await halab(home, ['simulate', '--years', '50', '--seed', '9', '--json']);
    const b = await halab(home, ['simulate', '--years', '50', '--seed', '9', '--json']);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(JSON.parse(a.stdout).summary.years).toBe(50);
    const p1 = await halab(home, ['plan', '--target', '0.9999', '--years', '50', '--json']);
    const p2 = await halab(home, ['plan', '--target', '0.9999', '--years', '50', '--json']);
    expect(p1.stdout).toBe(p2.stdout);
    expect(JSON.parse(p1.stdout).best.gpus).toBeGreaterThan(0);
  });

  it('refuses bad parameters with exit 2', async () => {
    for (const args of [['plan', '--target', '1'], ['plan', '--target', '1.5'], ['availability', '--gpu-availability', '1.2'], ['simulate', '--years', '-3']]) {
      const r = await halab(home, args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(/^halab: /);
    }
  });

  it('sweeps seeds through the virtual-time harness, and replays a broken policy\'s violation from its seed', async () => {
    const ok = await halab(home, ['simulate', '--check', '--seeds', '3']);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/^3 seeds \(1\.\.3\) of cluster\/two-region\.yaml/);
    expect(ok.stdout).toMatch(/every invariant held on every seed/);
    const broken = await halab(home, ['simulate', '--check', '--seeds', '20', '--failover-policy', 'never-promote']);
    expect(broken.code).toBe(1);
    const m = /VIOLATED healthy-standby-serves \(seed (\d+), t=(\d+)ms\): (.*)/.exec(broken.stdout);
    expect(m, broken.stdout).not.toBeNull();
    const replay = await halab(home, ['simulate', '--replay', m![1]!, '--failover-policy', 'never-promote']);
    expect(replay.code).toBe(1);
    expect(replay.stdout).toContain(`VIOLATED healthy-standby-serves (t=${m![2]}ms): ${m![3]}`);
    expect(replay.stdout).toMatch(/chaos fault\.injected/);
    expect((await halab(home, ['simulate', '--check', '--failover-policy', 'nope'])).code).toBe(2);
  }, 120_000);
});

