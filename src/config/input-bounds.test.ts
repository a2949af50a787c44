// Bad input is refused with what and where: YAML positions, topology semantics, bounded durations.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MAX_DURATION_MS, parseDurationMs, parsePositiveDurationMs } from '../core/duration.js';
import { EXIT } from '../core/exit-codes.js';
import { HalabError } from '../core/errors.js';
import { buildScenario } from './scenario.js';
import { MAX_REPLICAS_TOTAL, MAX_REPLICAS_TOTAL_SHARED, buildTopology, loadTopology } from './topology.js';

const region = (name: string, host: string, clusters: unknown[]) => ({ name, host, clusters });
const topo = (over: Record<string, unknown> = {}) => ({
  name: 't',
  regions: [region('us-east-1', '127.0.1.1', [{ name: 'primary', role: 'primary', gpus: 2 }, { name: 'backup', role: 'backup', gpus: 1 }])],
  ...over,
});

function thrown(fn: () => unknown): HalabError {
  try {
    fn();
  } catch (err) {
    return err as HalabError;
  }
  throw new Error('expected an error');
}

describe('YAML syntax errors', () => {
  it('name file:line:column and exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-yaml-'));
    const file = join(dir, 'topo.yaml');
    writeFileSync(file, 'name: t\nregions:\n  - name: us-east-1\n    host: 127.0.1.1\n     clusters: []\n');
    const err = thrown(() => loadTopology(file));
    expect(err.message).toMatch(new RegExp(`^${file.replace(/[.]/g, '\\.')}:4:11: topology file is not valid YAML: `));
    expect(err.exitCode).toBe(EXIT.badInput);
    writeFileSync(file, 'name: t\nname: u\n');
    expect(thrown(() => loadTopology(file)).message).toMatch(/topo\.yaml:2:1: .*unique/);
    writeFileSync(file, 'name: *nowhere\n');
    expect(thrown(() => loadTopology(file)).exitCode).toBe(EXIT.badInput);
  });
});

describe('topology semantics', () => {
  it('refuses an unknown engine profile, naming the known ones', () => {
    expect(thrown(() => buildTopology(topo({ profile: 'h200-gpt5' }), 't.yaml')).message).toMatch(/t\.yaml: profile: unknown engine profile "h200-gpt5"; known: h100-llama3-8b/);
  });

  it('refuses a host that is not a loopback address', () => {
    for (const host of ['127.0.0.300', '10.0.0.1', '0.0.0.0', 'localhost', '127.255.255.255']) {
      const err = thrown(() => buildTopology(topo({ regions: [region('us-east-1', host, [{ name: 'primary', gpus: 1 }])] }), 't.yaml'));
      expect(err.message).toMatch(/regions\[0\]\.host: expected a loopback IPv4 address/);
    }
    expect(thrown(() => buildTopology(topo({ controlPlane: { host: '192.168.1.1' } }), 't.yaml')).message).toMatch(/controlPlane\.host: expected a loopback/);
  });

  it('refuses a region without a primary cluster', () => {
    const err = thrown(() => buildTopology(topo({ regions: [region('us-east-1', '127.0.1.1', [{ name: 'backup', role: 'backup', gpus: 1 }])] }), 't.yaml'));
    expect(err.message).toMatch(/regions\[0\]\.clusters: region "us-east-1" has no primary cluster/);
  });

  it('caps replicas per cluster and in all', () => {
    expect(thrown(() => buildTopology(topo({ regions: [region('a', '127.0.1.1', [{ name: 'primary', gpus: 65 }])] }), 't.yaml')).message).toMatch(/regions\[0\]\.clusters\[0\]\.gpus: at most 64 replicas per cluster/);
    const big = Array.from({ length: 3 }, (_, i) => region(`r${i}`, `127.0.${i + 1}.1`, [{ name: 'primary', gpus: 64 }]));
    expect(thrown(() => buildTopology(topo({ regions: big }), 't.yaml')).message).toMatch(new RegExp(`regions: 192 replicas in all; a lab runs at most ${MAX_REPLICAS_TOTAL} .*replicaHost: shared allows ${MAX_REPLICAS_TOTAL_SHARED}`));
    // replica hosts run 192 (and refuse past their own bound)
    expect(buildTopology({ ...topo({ regions: big }), replicaHost: 'shared' }, 't.yaml').replicas).toHaveLength(192);
    const huge = Array.from({ length: 5 }, (_, i) => region(`r${i}`, `127.0.${i + 1}.1`, [{ name: 'primary', gpus: 64 }]));
    expect(thrown(() => buildTopology({ ...topo({ regions: huge }), replicaHost: 'shared' }, 't.yaml')).message).toMatch(new RegExp(`320 replicas in all; a lab runs at most ${MAX_REPLICAS_TOTAL_SHARED} on one machine with replica hosts`));
    expect(thrown(() => buildTopology({ ...topo({ regions: big }), replicaHost: 'threads' }, 't.yaml')).message).toMatch(/replicaHost/);
  });
});

describe('durations', () => {
  it('are bounded to 366 days; longer ones are refused, not wrapped', () => {
    expect(parseDurationMs('30d')).toBe(30 * 86_400_000);
    expect(parseDurationMs('366d')).toBe(MAX_DURATION_MS);
    expect(() => parseDurationMs('367d')).toThrow(/at most 366d/);
    expect(() => parseDurationMs(1e300)).toThrow(/at most 366d/);
    expect(() => parseDurationMs(-5)).toThrow(/non-negative/);
    expect(() => parseDurationMs(NaN)).toThrow(/non-negative/);
    expect(() => parseDurationMs('-5s')).toThrow(/invalid duration/);
    expect(() => parsePositiveDurationMs('0', '--mean-interval')).toThrow(/--mean-interval must be longer than 0/);
    expect(() => parsePositiveDurationMs('abc', '--duration')).toThrow(/--duration: invalid duration "abc"/);
  });

  it('a scenario fault lasting 30 days keeps its 30 days; 400 days names the field', () => {
    const s = buildScenario({ name: 'long', duration: '31d', faults: [{ kind: 'replica.crash', target: 'us-east-1/primary/0', at: '1s', for: '30d' }] }, 'x.yaml');
    expect(s.faults[0]!.for).toBe(30 * 86_400_000);
    expect(thrown(() => buildScenario({ name: 'long', duration: '400d' }, 'x.yaml')).message).toMatch(/x\.yaml: duration: invalid duration "400d": at most 366d/);
    expect(thrown(() => buildScenario({ name: 'l', duration: '1m', load: { timeout: '2h' } }, 'x.yaml')).message).toMatch(/load\.timeout: a request timeout must be/);
  });
});
