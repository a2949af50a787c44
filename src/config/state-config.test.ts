import { describe, expect, it } from 'vitest';
import { buildScenario } from './scenario.js';
import { buildTopology } from './topology.js';

const regions = [{ name: 'us-east-1', host: '127.0.1.1', clusters: [{ name: 'primary', gpus: 1 }] }];

describe('durable-state configuration', () => {
  it('parses state targets and load.store', () => {
    const s = buildScenario(
      {
        name: 'x',
        duration: '10s',
        load: { store: true },
        faults: [{ kind: 'controlplane.kill-leader', target: 'controlplane', at: '2s' }],
        targets: { leaderChange: '3s', rpo: '1s', lostWrites: 0, restore: '60s' },
      },
      'x.yaml',
    );
    expect(s.load.store).toBe(true);
    expect(s.targets).toMatchObject({ leaderChangeMs: 3000, rpoMs: 1000, lostWrites: 0, restoreMs: 60_000 });
  });

  it('defaults to one embedded control plane and refuses several on the embedded store', () => {
    expect(buildTopology({ name: 't', regions }, 't.yaml').controlPlane).toMatchObject({ store: 'embedded', instances: 1, placement: 'host', leaseTtlS: 2, backup: { intervalMs: 0, retain: 10 } });
    expect(() => buildTopology({ name: 't', regions, controlPlane: { instances: 3 } }, 't.yaml')).toThrow(/t\.yaml: controlPlane\.instances: 3 instances need controlPlane\.store: etcd/);
    expect(() => buildTopology({ name: 't', regions, controlPlane: { store: 'etcd', backup: { url: 'ftp://x' } } }, 't.yaml')).toThrow(/controlPlane\.backup\.url/);
  });
});
