import { describe, expect, it } from 'vitest';
import { buildTopology } from '../../config/topology.js';
import { initialSignals, type ReplicaSignals } from '../../policy/health.js';
import { Registry } from './registry.js';

const topology = buildTopology({ name: 't', regions: [{ name: 'a', host: '127.0.1.1', clusters: [{ name: 'p', gpus: 2 }] }] }, 't.yaml');
const healthy = Object.fromEntries(Object.keys(initialSignals()).map((k) => [k, { health: 'healthy', consecutiveOk: 2, consecutiveFail: 0 }])) as unknown as ReplicaSignals;

describe('replicas a deployment adds', () => {
  it('count toward their cluster only once they have been healthy, and from then on', () => {
    const r = new Registry(topology);
    for (const id of ['a/p/0', 'a/p/1']) {
      const e = r.get(id)!;
      e.connected = true;
      r.setSignals(e, healthy);
    }
    const green = r.add({ id: 'a/p/2', region: 'a', cluster: 'p' });
    expect(r.clusterHealth()[0]).toMatchObject({ healthy: 2, total: 2 });
    green.connected = true;
    r.setSignals(green, healthy);
    expect(r.clusterHealth()[0]).toMatchObject({ healthy: 3, total: 3 });
    r.setSignals(green, initialSignals());
    expect(r.clusterHealth()[0]).toMatchObject({ healthy: 2, total: 3 });
    expect(r.remove('a/p/2')).toBe(true);
    expect(r.clusterHealth()[0]).toMatchObject({ healthy: 2, total: 2 });
  });
});
