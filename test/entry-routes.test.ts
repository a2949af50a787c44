// Model routes through the entry point (the global load balancer in front of a regional gateway,
// both real HTTP servers, upstreams real misbehaving stand-ins): every route the gateway serves,
// the same /v1/models, the client's model forwarded, and — for each upstream misbehaviour — the
// same answer, answering model, group and attempts through the entry point as at the gateway.
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { createRng } from '../src/core/rng.js';
import { memoryEventSink } from '../src/record/events.js';
import { SseParser } from '../src/protocol/sse.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../src/gateway/regional/config.js';
import { DEFAULT_GLB_CONFIG } from '../src/gateway/global/config.js';
import { GlbRegions } from '../src/gateway/global/regions.js';
import { startGlbServer, type GlbServer } from '../src/gateway/global/server.js';
import type { ModelRoute } from '../src/config/model-routes.js';
import { startGatewayServer, type GatewayServer } from '../src/gateway/regional/server.js';
import { UpstreamPool } from '../src/gateway/regional/upstream-pool.js';
import type { MisbehaviourSpec } from '../src/replica/misbehaviour.js';
import { expectedAnswer } from '../src/protocol/tokens.js';
import { DEFAULT_STANDIN, startUpstreamStandin, type RunningStandin, type StandinOptions } from '../src/replica/upstream-standin.js';

const dispatcher = new Agent({ connections: 32 });
const standins: RunningStandin[] = [];
let gateway: GatewayServer | undefined;
let pool: UpstreamPool | undefined;
let glb: GlbServer | undefined;
let regions: GlbRegions | undefined;
let seq = 0;

async function standin(over: Partial<StandinOptions> = {}, mode?: MisbehaviourSpec): Promise<RunningStandin> {
  const s = await startUpstreamStandin({ ...DEFAULT_STANDIN, host: '127.0.0.1', clock: realClock, firstTokenMs: 10, tokenMs: 3, ...over, ...(mode ? { initial: mode } : {}) });
  standins.push(s);
  return s;
}

/** A gateway with routes "chat" (primary p, then fallback f on model alt) and "other" (f only), behind a GLB. */
async function serve(p: RunningStandin, f: RunningStandin, over: { primaryContext?: number; fallbackModel?: string } = {}): Promise<{ gateway: string; entry: string }> {
  const config: GatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, firstTokenTimeoutMs: 400, stallTimeoutMs: 400, baseEjectionMs: 500, readmitProbeIntervalMs: 100 };
  const events = memoryEventSink('gateway/r', realClock);
  pool = new UpstreamPool(config, realClock, events, createRng(1));
  pool.setTopology([
    { replicaId: 'r/p/0', region: 'r', cluster: 'p', httpUrl: p.url, modelVersion: 'v1' },
    { replicaId: 'r/f/0', region: 'r', cluster: 'f', httpUrl: f.url, modelVersion: 'v1' },
  ]);
  const fallbackModel = over.fallbackModel ?? 'alt';
  const routes: ModelRoute[] = [
    {
      model: 'chat',
      groups: [
        { name: 'p', clusters: new Set(['r/p']), model: DEFAULT_STANDIN.modelName, assistantPrefill: false, deterministic: true, ...(over.primaryContext ? { contextLengthTokens: over.primaryContext } : {}) },
        { name: 'f', clusters: new Set(['r/f']), model: fallbackModel, assistantPrefill: false, deterministic: true, ...(over.primaryContext ? { contextLengthTokens: 100_000 } : {}) },
      ],
    },
    { model: 'other', groups: [{ name: 'f', clusters: new Set(['r/f']), model: fallbackModel, assistantPrefill: false, deterministic: true }] },
  ];
  gateway = await startGatewayServer({ id: 'gateway/r', region: 'r', modelName: 'chat', routes, config, pool, clock: realClock, events }, '127.0.0.1');
  const glbConfig = { ...DEFAULT_GLB_CONFIG, checkIntervalMs: 50, checkTimeoutMs: 300 };
  const glbEvents = memoryEventSink('glb', realClock);
  regions = new GlbRegions({ regions: ['r'], check: { r: gateway.url }, via: {} }, glbConfig, realClock, glbEvents);
  regions.start();
  glb = await startGlbServer({ modelName: 'chat', models: routes.map((r) => r.model), defaultRegion: 'r', config: glbConfig, regions, clock: realClock, events: glbEvents }, '127.0.0.1');
  const deadline = performance.now() + 5000;
  while (!regions.available().includes('r')) {
    if (performance.now() > deadline) throw new Error('the entry point never saw the region available');
    await realClock.sleep(20);
  }
  return { gateway: gateway.url, entry: glb.url };
}

interface Answer {
  status: number;
  text: string;
  expected: string;
  complete: boolean;
  /** `model` of every chunk that carried content (streams), or of the body. */
  chunkModels: string[];
  model?: string;
  halab?: { model?: string; group?: string; attempts?: { replica: string; group: string; outcome: string }[] };
  body?: { error?: { code: string; message: string } };
  error?: string;
}

async function ask(url: string, opts: { model?: string; stream?: boolean; words?: number } = {}): Promise<Answer> {
  const n = seq++;
  const messages = [{ role: 'user', content: `entry question ${n}: ${'why '.repeat(opts.words ?? 6).trim()}` }];
  const seed = 300 + n;
  const expected = expectedAnswer('v1', messages, seed, 24).tokens.join('');
  const stream = opts.stream ?? true;
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: opts.model ?? 'chat', messages, seed, temperature: 0, max_tokens: 24, stream }),
    dispatcher,
  });
  const a: Answer = { status: res.statusCode, text: '', expected, complete: false, chunkModels: [] };
  let finish: string | undefined;
  let sawDone = false;
  if (res.statusCode !== 200 || !stream) {
    const body = JSON.parse(await res.body.text());
    if (res.statusCode !== 200) a.body = body;
    else {
      a.text = body.choices[0].message.content;
      finish = body.choices[0].finish_reason;
      a.model = body.model;
      a.chunkModels.push(body.model);
      a.halab = body.halab;
      sawDone = true;
    }
  } else {
    const parser = new SseParser();
    res.body.setEncoding('utf8');
    for await (const chunk of res.body as AsyncIterable<string>) {
      for (const data of parser.push(chunk)) {
        if (data === '[DONE]') {
          sawDone = true;
          continue;
        }
        const c = JSON.parse(data);
        if (c.error) a.error = c.error.message;
        if (c.halab) a.halab = c.halab;
        if (c.model) a.model = c.model;
        const choice = c.choices?.[0];
        if (choice?.delta?.content) {
          a.text += choice.delta.content;
          a.chunkModels.push(c.model);
        }
        if (choice?.finish_reason) finish = choice.finish_reason;
      }
    }
  }
  a.complete = a.status === 200 && finish !== undefined && sawDone && !a.error;
  if (a.complete) expect(a.text).toBe(a.expected);
  return a;
}

afterEach(async () => {
  regions?.close();
  await glb?.close();
  pool?.close();
  await gateway?.close();
  glb = undefined;
  gateway = undefined;
  await Promise.all(standins.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await dispatcher.close();
});

describe('model routes through the entry point', () => {
  it('serves every route the gateway serves, with the same /v1/models, and forwards the client\'s model', async () => {
    const p = await standin();
    const f = await standin({ modelName: 'alt' });
    const urls = await serve(p, f);
    const list = async (u: string) => {
      const res = await request(`${u}/v1/models`, { dispatcher });
      return ((await res.body.json()) as { data: { id: string }[] }).data.map((m) => m.id);
    };
    expect(await list(urls.entry)).toEqual(['chat', 'other']);
    expect(await list(urls.entry)).toEqual(await list(urls.gateway));
    const other = await ask(urls.entry, { model: 'other' });
    expect(other.complete).toBe(true);
    expect(other.model).toBe('alt');
    expect(other.halab).toMatchObject({ model: 'alt', group: 'f' });
    expect(p.requests()).toBe(0);
    const chat = await ask(urls.entry, { model: 'chat', stream: false });
    expect(chat.complete).toBe(true);
    expect(chat.halab).toMatchObject({ model: DEFAULT_STANDIN.modelName, group: 'p' });
    const unknown = await ask(urls.entry, { model: 'nope' });
    expect(unknown.status).toBe(404);
    expect(unknown.body?.error?.code).toBe('model_not_found');
    expect(unknown.body?.error?.message).toMatch(/serves `chat`, `other`/);
  });

  // each misbehaviour of the primary: the fallback answers, and the entry point reports it exactly as the gateway does
  const cases: { name: string; mode: MisbehaviourSpec; primaryFailure: string }[] = [
    { name: '429 with a long Retry-After', mode: { mode: 'rate-limit', retryAfterS: 5 }, primaryFailure: 'overload' },
    { name: 'persistent 5xx', mode: { mode: 'server-error', status: 502 }, primaryFailure: 'status' },
    { name: 'connection resets', mode: { mode: 'reset' }, primaryFailure: 'reset' },
    { name: 'down', mode: { mode: 'down' }, primaryFailure: 'reset' },
    { name: 'silent hang', mode: { mode: 'hang' }, primaryFailure: 'timeout' },
    { name: 'stall mid-stream', mode: { mode: 'stall', afterTokens: 6 }, primaryFailure: 'stall' },
    { name: 'stream cut', mode: { mode: 'cut', afterTokens: 7 }, primaryFailure: 'cut' },
    { name: 'malformed event', mode: { mode: 'malformed', afterTokens: 5 }, primaryFailure: 'malformed' },
  ];
  for (const c of cases) {
    it(`${c.name}: the fallback's model, group and attempts, in every chunk and the halab field, same as at the gateway`, async () => {
      const p = await standin({}, c.mode);
      const f = await standin({ modelName: 'alt' });
      const urls = await serve(p, f);
      const direct = await ask(urls.gateway);
      const entry = await ask(urls.entry);
      for (const a of [direct, entry]) {
        expect(a.complete).toBe(true);
        expect(a.halab?.model).toBe('alt');
        expect(a.halab?.group).toBe('f');
        expect(a.halab?.attempts?.at(-1)).toMatchObject({ replica: 'r/f/0', group: 'f', outcome: 'done' });
        // once the fallback answers, every chunk names the model that wrote it
        expect(a.model).toBe('alt');
      }
      expect(direct.halab?.attempts?.[0]).toMatchObject({ replica: 'r/p/0', group: 'p', outcome: c.primaryFailure });
      // the entry point's request found the primary ejected or rate-limited: straight to the fallback
      expect(entry.halab?.attempts?.map((t) => t.replica)).toEqual(['r/f/0']);
      expect(entry.chunkModels.every((m) => m === 'alt')).toBe(true);
    });
  }

  it('no [DONE] after the finish reason: complete through the entry point, the primary\'s model in every chunk', async () => {
    const p = await standin({}, { mode: 'no-done' });
    const f = await standin({ modelName: 'alt' });
    const urls = await serve(p, f);
    const entry = await ask(urls.entry);
    expect(entry.complete).toBe(true);
    expect(entry.halab).toMatchObject({ model: DEFAULT_STANDIN.modelName, group: 'p' });
    expect(entry.chunkModels.every((m) => m === DEFAULT_STANDIN.modelName)).toBe(true);
  });

  it('context length exceeded: routed to the larger-context group, reported through the entry point', async () => {
    const p = await standin({ contextLength: 128 });
    const f = await standin({ modelName: 'long', contextLength: 100_000 });
    const urls = await serve(p, f, { primaryContext: 128, fallbackModel: 'long' });
    const entry = await ask(urls.entry, { words: 400 });
    expect(entry.complete).toBe(true);
    expect(entry.halab).toMatchObject({ model: 'long', group: 'f' });
    expect(entry.halab?.attempts?.map((t) => t.outcome)).toEqual(['context-length', 'done']);
  });

  it('content policy: the 400 passes through the entry point unretried', async () => {
    const p = await standin({}, { mode: 'content-policy' });
    const f = await standin({ modelName: 'alt' });
    const urls = await serve(p, f);
    const entry = await ask(urls.entry);
    expect(entry.status).toBe(400);
    expect(entry.body?.error?.code).toBe('content_policy_violation');
    expect(p.requests()).toBe(1);
    expect(f.requests()).toBe(0);
  });
});
