// Overload through real HTTP: the GLB and a regional gateway in front of slowed stand-in replicas
// shed a burst beyond their admission bounds as 429 with Retry-After (never a crash, a 5xx or an
// unbounded queue), and a region that times out every first token does not turn a burst into a
// retry storm in the other region: cross-region retries stay within the retry budget.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { fileEventSink, type LabEvent } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { RunningReplica } from '../../replica/replica-server.js';
import { startTestReplicas } from '../../../test/replica-kit.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../regional/config.js';
import { DEFAULT_GLB_CONFIG, type GlbConfig } from './config.js';
import { GlbRegions } from './regions.js';
import { startGlbServer, type GlbServer } from './server.js';
import { startGatewayServer, type GatewayServer } from '../regional/server.js';
import { UpstreamPool } from '../regional/upstream-pool.js';

const MODEL = 'test-model';
const dispatcher = new Agent({ connections: 256 });
const replicas: RunningReplica[] = [];
let recorded: LabEvent[] = [];
const stops: (() => Promise<void> | void)[] = [];

async function gatewayOver(region: string, ids: number[], config: GatewayConfig): Promise<GatewayServer> {
  const events = fileEventSink(undefined, `gateway/${region}`, realClock, (e) => recorded.push(e));
  const pool = new UpstreamPool(config, realClock, events, createRng(1));
  pool.setTopology(ids.map((i) => ({ replicaId: `${region}/p/${i}`, region, cluster: 'p', httpUrl: replicas[i]!.httpUrl, modelVersion: 'v1' })));
  const server = await startGatewayServer({ id: `gateway/${region}`, region, modelName: MODEL, config, pool, clock: realClock, events }, '127.0.0.1');
  stops.push(() => pool.close(), () => server.close());
  return server;
}

/** A "gateway" that answers its health checks and never a completion (an overloaded, silent region). */
async function silentRegion(): Promise<string> {
  const server: Server = createServer((req, res) => {
    if (req.url === '/health') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    req.resume();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  }));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

async function glbOver(urls: Record<string, string>, config: GlbConfig): Promise<GlbServer> {
  const events = fileEventSink(undefined, 'glb', realClock, (e) => recorded.push(e));
  const regions = new GlbRegions({ regions: Object.keys(urls), check: urls, via: {} }, config, realClock, events);
  regions.start();
  const glb = await startGlbServer({ modelName: MODEL, defaultRegion: Object.keys(urls)[0]!, config, regions, clock: realClock, events }, '127.0.0.1');
  stops.push(() => regions.close(), () => glb.close());
  const deadline = realClock.monoMs() + 5000;
  while (regions.available().length < Object.keys(urls).length && realClock.monoMs() < deadline) await realClock.sleep(20);
  return glb;
}

async function burst(url: string, n: number): Promise<{ status: number; retryAfter: string | undefined; text: string }[]> {
  const one = async (i: number) => {
    const res = await request(`${url}/v1/chat/completions`, {
      method: 'POST',
      dispatcher,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: `question ${i} about the cluster` }], max_tokens: 24, stream: true }),
    });
    const retryAfter = res.headers['retry-after'];
    return { status: res.statusCode, retryAfter: typeof retryAfter === 'string' ? retryAfter : undefined, text: await res.body.text() };
  };
  return Promise.all(Array.from({ length: n }, (_, i) => one(i)));
}

beforeAll(async () => {
  replicas.push(...(await startTestReplicas(2, MODEL)));
});

afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
  for (const r of replicas) r.core.faults.clear('');
  recorded = [];
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await dispatcher.close();
});

describe('overload', () => {
  it('sheds a burst beyond the admission bounds as 429 with Retry-After, at the GLB and at the gateway', async () => {
    // every answer takes ~1 s: slots do not free while the burst is queued
    for (const r of replicas) r.core.faults.inject('replica.slow', 'slow', { factor: 20 });
    const gateway = await gatewayOver('a', [0, 1], { ...DEFAULT_GATEWAY_CONFIG, activeMax: 6, queueMax: 4, queueWaitMaxMs: 300, loopDelayShedMs: 0 });
    const direct = await burst(gateway.url, 30);
    const count = (rs: typeof direct, status: number) => rs.filter((r) => r.status === status).length;
    expect(direct.filter((r) => r.status !== 200 && r.status !== 429).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    expect(count(direct, 200)).toBeGreaterThanOrEqual(6);
    expect(count(direct, 200)).toBeLessThanOrEqual(10);
    const shed = direct.filter((r) => r.status === 429);
    expect(shed.length).toBeGreaterThanOrEqual(20);
    expect(shed.every((r) => r.retryAfter === '1' && r.text.includes('shedding load'))).toBe(true);

    const glb = await glbOver({ a: gateway.url }, { ...DEFAULT_GLB_CONFIG, checkIntervalMs: 50, activeMax: 4, queueMax: 4, queueWaitMaxMs: 300, loopDelayShedMs: 0, firstTokenTimeoutMs: 5000 });
    const through = await burst(glb.url, 30);
    expect(through.filter((r) => r.status !== 200 && r.status !== 429).map((r) => `${r.status} ${r.text}`)).toEqual([]);
    expect(count(through, 200)).toBeGreaterThanOrEqual(4);
    expect(count(through, 200)).toBeLessThanOrEqual(8);
    expect(through.filter((r) => r.status === 429).every((r) => r.retryAfter !== undefined && r.text.includes('global load balancer is shedding load'))).toBe(true);
  }, 30_000);

  it('keeps cross-region retries within the retry budget when a region times out every first token', async () => {
    for (const r of replicas) r.core.faults.inject('replica.slow', 'slow', { factor: 10 });
    const b = await gatewayOver('b', [0, 1], DEFAULT_GATEWAY_CONFIG);
    const silent = await silentRegion();
    const config = { ...DEFAULT_GLB_CONFIG, checkIntervalMs: 50, firstTokenTimeoutMs: 400, retryBudgetRatio: 0.1, retryBudgetMinRetries: 2, loopDelayShedMs: 0 };
    const glb = await glbOver({ a: silent, b: b.url }, config);
    const results = await burst(glb.url, 40);
    const retried = recorded.filter((e) => e.type === EV.glbRequestRetried).length;
    const ok = results.filter((r) => r.status === 200 && r.text.includes('[DONE]')).length;
    const refused = results.filter((r) => r.status === 503 && r.text.includes('retry budget'));
    // 40 first tokens timed out together in region a; at most max(2, 0.1 × 40) = 4 retries may run at once in b
    // (requests that arrive once region a is ejected go to b directly, as first tries)
    expect(retried).toBeLessThanOrEqual(8);
    expect(refused.length).toBeGreaterThanOrEqual(20);
    expect(ok + refused.length).toBe(40);
    expect(refused.every((r) => r.retryAfter === '1')).toBe(true);
  }, 30_000);
});
