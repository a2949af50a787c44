import { describe, expect, it } from 'vitest';
import { buildTopology } from './topology.js';
import { entrySectionSchema, gatewaySectionSchema } from './topology-gateway.js';
import { DEFAULT_GATEWAY_CONFIG, gatewayConfigFrom } from '../gateway/regional/config.js';
import { DEFAULT_GLB_CONFIG, glbConfigFrom } from '../gateway/global/config.js';

const base = (extra: Record<string, unknown> = {}) => ({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters: [{ name: 'a', gpus: 1 }] }], ...extra });

/** A valid value for a field that differs from its default. */
function another(field: string, value: unknown): unknown {
  if (field === 'retryAfterPolicy') return value === 'honour' ? 'failover' : 'honour';
  if (field === 'bodyMaxBytes') return 4096;
  return (value as number) + 1;
}

describe('gateway: and entry: sections of a topology', () => {
  it('with no section, every process gets the named defaults', () => {
    const t = buildTopology(base(), 'f.yaml');
    expect(gatewayConfigFrom(t.gateway)).toEqual(DEFAULT_GATEWAY_CONFIG);
    expect(glbConfigFrom(t.entry)).toEqual(DEFAULT_GLB_CONFIG);
  });

  // one case per setting: the value in the topology is the value the process runs with
  for (const field of Object.keys(gatewaySectionSchema.shape)) {
    it(`gateway.${field} reaches the regional gateway's config`, () => {
      const value = another(field, DEFAULT_GATEWAY_CONFIG[field as keyof typeof DEFAULT_GATEWAY_CONFIG]);
      const t = buildTopology(base({ gateway: { [field]: value } }), 'f.yaml');
      const config = gatewayConfigFrom(t.gateway, t.file);
      expect(config[field as keyof typeof config]).toBe(value);
      expect({ ...config, [field]: DEFAULT_GATEWAY_CONFIG[field as keyof typeof config] }).toEqual(DEFAULT_GATEWAY_CONFIG);
    });
  }
  for (const field of Object.keys(entrySectionSchema.shape)) {
    it(`entry.${field} reaches the global load balancer's config`, () => {
      const value = another(field, DEFAULT_GLB_CONFIG[field as keyof typeof DEFAULT_GLB_CONFIG]);
      const t = buildTopology(base({ entry: { [field]: value } }), 'f.yaml');
      const config = glbConfigFrom(t.entry, t.file);
      expect(config[field as keyof typeof config]).toBe(value);
    });
  }

  it('names the field and what was expected for a bad value', () => {
    expect(() => buildTopology(base({ gateway: { firstTokenTimeoutMs: -1 } }), 'f.yaml')).toThrow(/f.yaml: gateway.firstTokenTimeoutMs: /);
    expect(() => buildTopology(base({ gateway: { maxAttempts: 0 } }), 'f.yaml')).toThrow(/gateway.maxAttempts/);
    expect(() => buildTopology(base({ gateway: { retryAfterPolicy: 'sometimes' } }), 'f.yaml')).toThrow(/gateway.retryAfterPolicy/);
    expect(() => buildTopology(base({ gateway: { stallTimeoutMs: 1.5 } }), 'f.yaml')).toThrow(/gateway.stallTimeoutMs: expected whole milliseconds/);
    expect(() => buildTopology(base({ gateway: { firstTokenTimoutMs: 10 } }), 'f.yaml')).toThrow(/gateway/);
    expect(() => buildTopology(base({ entry: { checkIntervalMs: 0 } }), 'f.yaml')).toThrow(/entry.checkIntervalMs/);
    expect(() => buildTopology(base({ probes: { completionIntervalMs: 'often' } }), 'f.yaml')).toThrow(/probes.completionIntervalMs/);
  });

  it('checks a base against its cap with the defaults filled in', () => {
    const t = buildTopology(base({ gateway: { baseEjectionMs: 60_000 } }), 'f.yaml');
    expect(() => gatewayConfigFrom(t.gateway, t.file)).toThrow(/f.yaml: gateway.baseEjectionMs: is 60000 but gateway.maxEjectionMs is 30000/);
    const e = buildTopology(base({ entry: { maxEjectionMs: 10 } }), 'f.yaml');
    expect(() => glbConfigFrom(e.entry, e.file)).toThrow(/entry.baseEjectionMs: is 1000 but entry.maxEjectionMs is 10/);
  });

  it('gives each external endpoint every model its route groups send it', () => {
    const t = buildTopology(
      base({
        regions: [{ name: 'r', host: '127.0.1.1', clusters: [{ name: 'a', external: { kind: 'generic', endpoints: [{ url: 'http://127.0.0.1:1' }] } }, { name: 'b', gpus: 1 }] }],
        routes: [
          { model: 'chat', groups: [{ clusters: ['r/a'], model: 'm1' }, { clusters: ['r/b'] }] },
          { model: 'big', groups: [{ clusters: ['r/a'], model: 'm2' }] },
        ],
      }),
      'f.yaml',
    );
    expect(t.replicas[0]!.external?.models).toEqual(['m1', 'm2']);
  });
});
