import { describe, expect, it } from 'vitest';
import { buildScenario } from '../config/scenario.js';
import { buildTopology } from '../config/topology.js';
import { DEFAULT_DEPLOY_CONFIG } from '../policy/rollout-config.js';
import { DEFAULT_GATEWAY_CONFIG } from '../gateway/regional/config.js';
import { DEFAULT_GLB_CONFIG } from '../gateway/global/config.js';
import { parseTimeScale, scaleScenario, scaleTopologyDoc, uncompressibleReason } from './time-scale.js';

const scenario = buildScenario(
  {
    name: 'x',
    seed: 3,
    duration: '40s',
    load: { ratePerSec: 20, timeout: '30s' },
    faults: [
      { kind: 'replica.crash', random: { target: 'serving-replica', between: ['10s', '20s'] }, for: '10s' },
      { kind: 'link.latency', target: 'us-east-1', at: '8s', for: '4s', params: { latencyMs: 800 } },
      { kind: 'replica.slow', target: 'us-east-1/primary/0', at: '2s', params: { factor: 3 } },
    ],
    deploys: [{ at: '5s', version: 'v2', strategy: 'canary', options: { drain: '2s', canaryShare: 0.25, canaryReplicas: 1 } }],
    targets: { availability: 0.999, failedRequests: 0, detection: '1s', failover: '2s', rto: '5s', ttftP99: '3s', deployTtftRatio: 1.5 },
  },
  'x.yaml',
);

describe('scaleScenario', () => {
  it('is the identity at 1', () => {
    expect(scaleScenario(scenario, 1)).toBe(scenario);
  });

  it('scales every duration, fault time and ms param, the client timeout and the ms targets by s, and the load rate by 1/s', () => {
    const s = scaleScenario(scenario, 0.5);
    expect(s.timeScale).toBe(0.5);
    expect(s.durationMs).toBe(20_000);
    expect(s.load.ratePerSec).toBe(40);
    expect(s.load.timeoutMs).toBe(15_000);
    expect(s.faults[0]).toMatchObject({ random: { between: [5000, 10_000] }, for: 5000 });
    expect(s.faults[1]).toMatchObject({ at: 4000, for: 2000, params: { latencyMs: 400 } });
    // a factor is a ratio: unchanged
    expect(s.faults[2]).toMatchObject({ at: 1000, params: { factor: 3 } });
    expect(s.targets).toEqual({ availability: 0.999, failedRequests: 0, detectionMs: 500, failoverMs: 1000, rtoMs: 2500, ttftP99Ms: 1500, deployTtftRatio: 1.5 });
    // requests over the run: the same count as unscaled
    expect(s.load.ratePerSec * s.durationMs).toBe(scenario.load.ratePerSec * scenario.durationMs);
  });

  it('scales a deployment\'s time and every timing option, the control plane\'s defaults too; shares and counts stay', () => {
    const d = scaleScenario(scenario, 0.25).deploys[0]!;
    expect(d.at).toBe(1250);
    const o = d.options as Record<string, unknown>;
    expect(o.drain).toBe(500);
    expect(o.canaryTime).toBe(DEFAULT_DEPLOY_CONFIG.canaryMs * 0.25);
    expect(o.sampleInterval).toBe(Math.round(DEFAULT_DEPLOY_CONFIG.sampleIntervalMs * 0.25));
    expect(o.canaryShare).toBe(0.25);
    expect(o.canaryReplicas).toBe(1);
  });
});

describe('scaleTopologyDoc', () => {
  it('scales the stand-in time scale, the gateways\' and GLB\'s timers and the inter-region latency; connect and check timeouts stay real', () => {
    const doc = scaleTopologyDoc({ timeScale: 1, links: { interRegionLatencyMs: 30 }, gateway: { stallTimeoutMs: 3000 }, regions: [] }, 0.5);
    expect(doc.timeScale).toBe(0.5);
    expect(doc.links).toEqual({ interRegionLatencyMs: 15 });
    const gw = doc.gateway as Record<string, number>;
    expect(gw.stallTimeoutMs).toBe(1500);
    expect(gw.firstTokenTimeoutMs).toBe(DEFAULT_GATEWAY_CONFIG.firstTokenTimeoutMs / 2);
    expect(gw.baseEjectionMs).toBe(DEFAULT_GATEWAY_CONFIG.baseEjectionMs / 2);
    const entry = doc.entry as Record<string, number>;
    expect(entry.checkIntervalMs).toBe(DEFAULT_GLB_CONFIG.checkIntervalMs / 2);
    expect(entry.connectTimeoutMs).toBeUndefined();
    expect(entry.checkTimeoutMs).toBeUndefined();
    expect(entry.firstTokenTimeoutMs).toBeUndefined();
    expect(doc.controlPlane).toEqual({ leaseTtlS: 1 });
    expect(scaleTopologyDoc({ a: 1 }, 1)).toEqual({ a: 1 });
  });

  it('gives a document the topology schema accepts (bases stay below their caps)', () => {
    const doc = scaleTopologyDoc({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters: [{ name: 'p', gpus: 1 }] }] }, 0.1);
    const t = buildTopology(doc, 't.yaml');
    expect(t.timeScale).toBeCloseTo(0.1);
  });
});

describe('parseTimeScale and uncompressibleReason', () => {
  it('accepts 0.1..1 and names the flag otherwise', () => {
    expect(parseTimeScale('0.25')).toBe(0.25);
    expect(parseTimeScale('1')).toBe(1);
    for (const bad of ['0', '0.05', '2', 'x', '-0.5', '']) expect(() => parseTimeScale(bad)).toThrow(/--time-scale must be a number from 0.1 to 1/);
  });

  it('refuses to compress real engines and external endpoints', () => {
    const standin = buildTopology({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters: [{ name: 'p', gpus: 1 }] }] }, 't.yaml');
    expect(uncompressibleReason(standin)).toBeUndefined();
    const external = buildTopology({ name: 't', regions: [{ name: 'r', host: '127.0.1.1', clusters: [{ name: 'p', external: { kind: 'vllm', endpoints: [{ url: 'http://127.0.0.1:8000' }] } }] }] }, 't.yaml');
    expect(uncompressibleReason(external)).toMatch(/external endpoints/);
  });
});
