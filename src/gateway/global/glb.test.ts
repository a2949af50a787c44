// The global load balancer over real HTTP against two in-process regional gateways and stand-in
// replicas: geo-routing, resume mid-stream across regions (token-exact, including a continuation
// that is resumed again), failover when a region's gateway dies, failback when it returns, and an
// explicit error when no region is left.
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { fileEventSink, memoryEventSink, type LabEvent } from '../../record/events.js';
import { BuiltinDriver } from '../../load/builtin-driver.js';
import type { LoadRunOptions } from '../../load/driver.js';
import type { RunningReplica } from '../../replica/replica-server.js';
import { startTestReplicas } from '../../../test/replica-kit.js';
import { DEFAULT_GATEWAY_CONFIG } from '../regional/config.js';
import { DEFAULT_GLB_CONFIG } from './config.js';
import { createGlbMetrics } from './metrics.js';
import { GlbRegions } from './regions.js';
import { startGlbServer, type GlbServer } from './server.js';
import { startGatewayServer, type GatewayServer } from '../regional/server.js';
import { UpstreamPool } from '../regional/upstream-pool.js';

const MODEL = 'test-model';
const dispatcher = new Agent();
const driver = new BuiltinDriver();
const replicas: RunningReplica[] = [];
const gateways = new Map<string, { server: GatewayServer; pool: UpstreamPool; port: number }>();
const metrics = createGlbMetrics();
const recorded: LabEvent[] = [];
const events = fileEventSink(undefined, 'glb', realClock, (e) => {
  recorded.push(e);
  metrics.observeEvent(e);
});
let regions: GlbRegions;
let glb: GlbServer;
let index = 0;

const layout: Record<string, number[]> = { a: [0, 1], b: [2] };
// circuits of region a close on a completion probe soon after its faults clear
const gatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, firstTokenTimeoutMs: 300, stallTimeoutMs: 300, completionProbeIntervalMs: 500 };

async function startGateway(region: string, port = 0): Promise<GatewayServer> {
  const pool = new UpstreamPool(gatewayConfig, realClock, memoryEventSink(`gateway/${region}`, realClock), createRng(1));
  pool.setTopology(layout[region]!.map((i) => ({ replicaId: `${region}/p/${i}`, region, cluster: 'p', httpUrl: replicas[i]!.httpUrl, modelVersion: 'v1' })));
  const server = await startGatewayServer({ id: `gateway/${region}`, region, modelName: MODEL, config: gatewayConfig, pool, clock: realClock, events: memoryEventSink(`gateway/${region}`, realClock) }, '127.0.0.1', port);
  gateways.set(region, { server, pool, port: Number(new URL(server.url).port) });
  return server;
}

async function stopGateway(region: string): Promise<void> {
  const g = gateways.get(region)!;
  g.pool.close();
  await g.server.close();
}

function send(clientRegion?: string, maxTokens = 40) {
  const opts: LoadRunOptions = { entrypoint: glb.url, ratePerSec: 1, arrival: 'constant', durationMs: 1, streaming: true, promptTokens: 16, maxTokens, timeoutMs: 10_000, model: MODEL, seed: 5, ...(clientRegion ? { clientRegion } : {}) };
  return driver.one(opts, index++, dispatcher);
}

async function until(what: () => boolean, timeoutMs = 5000): Promise<void> {
  const deadline = realClock.monoMs() + timeoutMs;
  while (!what()) {
    if (realClock.monoMs() > deadline) throw new Error('condition not reached in time');
    await realClock.sleep(20);
  }
}

beforeAll(async () => {
  replicas.push(...(await startTestReplicas(3, MODEL)));
  const a = await startGateway('a');
  const b = await startGateway('b');
  const config = { ...DEFAULT_GLB_CONFIG, checkIntervalMs: 50, checkTimeoutMs: 300, firstTokenTimeoutMs: 1000, stallTimeoutMs: 1000, baseEjectionMs: 200 };
  regions = new GlbRegions({ regions: ['a', 'b'], check: { a: a.url, b: b.url }, via: {} }, config, realClock, events);
  regions.start();
  glb = await startGlbServer({ modelName: MODEL, defaultRegion: 'a', config, regions, clock: realClock, events, metrics }, '127.0.0.1');
  await until(() => regions.available().length === 2);
});

afterAll(async () => {
  regions.close();
  await glb.close();
  for (const region of gateways.keys()) await stopGateway(region).catch(() => undefined);
  await Promise.all(replicas.map((r) => r.close()));
  await dispatcher.close();
});

describe('global load balancer', () => {
  it('routes each client to its home region, and unknown regions to the default', async () => {
    const home = await send('b');
    expect(home).toMatchObject({ outcome: 'ok', correct: true, resumes: 0 });
    expect(home.replicas).toEqual(['b/p/2']);
    const unknown = await send('mars');
    expect(unknown.replicas[0]).toMatch(/^a\/p\/[01]$/);
  });

  it('resumes a stream in the other region when its own cannot finish it, token-exact', async () => {
    // both replicas of region a cut their streams after 3 tokens: gateway a resumes once inside
    // the region, is cut again at 6 and gives up with an in-band error; the GLB continues in b
    replicas[0]!.core.faults.inject('replica.stream-cut', 'cut', { afterTokens: 3 });
    replicas[1]!.core.faults.inject('replica.stream-cut', 'cut', { afterTokens: 3 });
    try {
      const r = await send('a', 40);
      expect(r).toMatchObject({ outcome: 'ok', correct: true });
      expect(r.tokens).toBe(r.expectedTokens);
      expect(r.resumes).toBe(1);
      expect(r.replicas).toEqual(['gateway/a', 'b/p/2']);
      expect(recorded.some((e) => e.type === 'glb.request.resumed' && e.subject === 'a' && e.data?.to === 'b' && e.data?.tokens === 6)).toBe(true);
    } finally {
      replicas[0]!.core.faults.clear('');
      replicas[1]!.core.faults.clear('');
    }
    await until(() => regions.available().includes('a'));
  });

  it('fails over when a region\'s gateway dies and fails back when it returns', async () => {
    const from = recorded.length;
    const since = () => recorded.slice(from);
    await stopGateway('a');
    const r = await send('a');
    expect(r).toMatchObject({ outcome: 'ok', correct: true });
    expect(r.replicas.at(-1)).toBe('b/p/2');
    await until(() => since().some((e) => e.type === 'glb.failover' && e.subject === 'a' && e.data?.to === 'b'));
    await startGateway('a', gateways.get('a')!.port);
    await until(() => since().some((e) => e.type === 'glb.failback' && e.subject === 'a'));
    const back = await send('a');
    expect(back.replicas[0]).toMatch(/^a\/p\/[01]$/);
  });

  it('answers 503 with the reason, before any token, when no region can serve', async () => {
    await stopGateway('a');
    await stopGateway('b');
    try {
      const r = await send('a');
      expect(r.outcome).toBe('failed');
      expect(r.status).toBe(503);
      expect(r.tokens).toBe(0);
      await until(() => recorded.some((e) => e.type === 'glb.no-region' && e.subject === 'a'));
    } finally {
      await startGateway('a', gateways.get('a')!.port);
      await startGateway('b', gateways.get('b')!.port);
    }
  });

  it('exports Prometheus metrics of requests by home and serving region, failovers and resumes', async () => {
    const res = await dispatcher.request({ origin: glb.url, path: '/metrics', method: 'GET' });
    const text = await res.body.text();
    expect(text).toMatch(/halab_glb_requests_total\{home="a",region="b",outcome="ok"\} [1-9]/);
    expect(text).toMatch(/halab_glb_failovers_total\{home="a"\} [1-9]/);
    expect(text).toMatch(/halab_glb_resumes_total [1-9]/);
    expect(text).toMatch(/halab_glb_region_available\{region="b"\} [01]/);
  });
});
