// Client errors through the whole path (GLB → regional gateway → stand-in replicas): a prompt
// longer than the model's context and an absurd max_tokens are a 400 to their sender, as vLLM
// answers them, and never count against a replica's or a region's health — well-behaved clients
// sending at the same time are all served, and nothing is ejected.
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { fileEventSink, type LabEvent } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import { BuiltinDriver } from '../../load/builtin-driver.js';
import type { RequestRecord } from '../../record/records.js';
import type { RunningReplica } from '../../replica/replica-server.js';
import { startTestReplicas } from '../../../test/replica-kit.js';
import { DEFAULT_GATEWAY_CONFIG } from '../regional/config.js';
import { DEFAULT_GLB_CONFIG } from './config.js';
import { GlbRegions } from './regions.js';
import { startGlbServer, type GlbServer } from './server.js';
import { startGatewayServer, type GatewayServer } from '../regional/server.js';
import { UpstreamPool } from '../regional/upstream-pool.js';

const MODEL = 'test-model';
const dispatcher = new Agent();
const replicas: RunningReplica[] = [];
const gateways: { server: GatewayServer; pool: UpstreamPool }[] = [];
const recorded: LabEvent[] = [];
const sink = (source: string) => fileEventSink(undefined, source, realClock, (e) => recorded.push(e));
let regions: GlbRegions;
let glb: GlbServer;

const layout: Record<string, number[]> = { a: [0, 1], b: [2] };

async function post(url: string, body: unknown, raw = false) {
  const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: raw ? String(body) : JSON.stringify(body), headers: { 'content-type': 'application/json' }, dispatcher });
  return { status: res.statusCode, text: await res.body.text() };
}

const longPrompt = (words: number) => [{ role: 'user', content: 'the '.repeat(words) }];

beforeAll(async () => {
  replicas.push(...(await startTestReplicas(3, MODEL)));
  const urls: Record<string, string> = {};
  for (const region of ['a', 'b']) {
    const events = sink(`gateway/${region}`);
    const pool = new UpstreamPool(DEFAULT_GATEWAY_CONFIG, realClock, events, createRng(1));
    pool.setTopology(layout[region]!.map((i) => ({ replicaId: `${region}/p/${i}`, region, cluster: 'p', httpUrl: replicas[i]!.httpUrl, modelVersion: 'v1' })));
    const server = await startGatewayServer({ id: `gateway/${region}`, region, modelName: MODEL, config: DEFAULT_GATEWAY_CONFIG, pool, clock: realClock, events }, '127.0.0.1');
    gateways.push({ server, pool });
    urls[region] = server.url;
  }
  const config = { ...DEFAULT_GLB_CONFIG, checkIntervalMs: 50 };
  const events = sink('glb');
  regions = new GlbRegions({ regions: ['a', 'b'], check: urls, via: {} }, config, realClock, events);
  regions.start();
  glb = await startGlbServer({ modelName: MODEL, defaultRegion: 'a', config, regions, clock: realClock, events }, '127.0.0.1');
  const deadline = realClock.monoMs() + 5000;
  while (regions.available().length < 2 && realClock.monoMs() < deadline) await realClock.sleep(20);
});

afterAll(async () => {
  regions.close();
  await glb.close();
  for (const g of gateways) {
    g.pool.close();
    await g.server.close();
  }
  await Promise.all(replicas.map((r) => r.close()));
  await dispatcher.close();
});

describe('client errors', () => {
  it('answers a prompt longer than the context 400 at the replica, the gateway and the entry point', async () => {
    const direct = await post(replicas[0]!.httpUrl, { messages: longPrompt(9000), stream: true });
    expect(direct.status).toBe(400);
    expect(direct.text).toContain("This model's maximum context length is 8192 tokens");
    const viaGateway = await post(gateways[0]!.server.url, { messages: longPrompt(9000), stream: true });
    expect(viaGateway.status).toBe(400);
    expect(viaGateway.text).toContain('maximum context length');
    const viaGlb = await post(glb.url, { messages: longPrompt(9000), stream: false });
    expect(viaGlb.status).toBe(400);
    const absurd = await post(glb.url, { messages: longPrompt(10), max_tokens: 32_768, stream: true });
    expect(absurd.status).toBe(400);
    expect(absurd.text).toContain('32768 in the completion');
    const beyond = await post(glb.url, { messages: longPrompt(10), max_tokens: 1e9 });
    expect(beyond.status).toBe(400);
    expect(beyond.text).toContain('max_tokens');
  });

  it('a flood of over-long prompts ejects nothing, and well-behaved clients are all served', async () => {
    const good: RequestRecord[] = [];
    const stop = new AbortController();
    const statuses: number[] = [];
    const poison = async (): Promise<void> => {
      for (let i = 0; !stop.signal.aborted; i++) {
        const body = i % 3 === 0 ? { messages: longPrompt(20_000), stream: true } : i % 3 === 1 ? { messages: longPrompt(50), max_tokens: 30_000, stream: true } : '{"messages": [';
        statuses.push((await post(glb.url, body, typeof body === 'string')).status);
      }
    };
    const loops = [poison(), poison(), poison(), poison()];
    const summary = await new BuiltinDriver().run(
      { entrypoint: glb.url, ratePerSec: 10, arrival: 'constant', durationMs: 3000, streaming: true, promptTokens: 32, maxTokens: 32, timeoutMs: 10_000, model: MODEL, seed: 3 },
      (r) => good.push(r),
      new AbortController().signal,
    );
    stop.abort();
    await Promise.all(loops);
    expect(summary.completed).toBeGreaterThanOrEqual(28);
    expect(good.filter((r) => r.outcome !== 'ok' || r.correct !== true).map((r) => `${r.outcome} ${r.status ?? ''} ${r.reason ?? ''}`)).toEqual([]);
    expect(statuses.length).toBeGreaterThan(20);
    expect(new Set(statuses)).toEqual(new Set([400]));
    expect(recorded.filter((e) => e.type === EV.passiveEject || e.type === EV.glbEject || e.type === EV.glbRegionUnhealthy).map((e) => `${e.type} ${e.subject} ${e.reason ?? ''}`)).toEqual([]);
  }, 30_000);
});
