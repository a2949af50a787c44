// The gateway over real HTTP against real in-process stand-in replicas: retries, resume by
// prefill, timeouts, explicit errors, validation and overload.
import { Agent, request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { memoryEventSink } from '../../record/events.js';
import { createLogger } from '../../core/log.js';
import { BuiltinDriver } from '../../load/builtin-driver.js';
import type { LoadRunOptions } from '../../load/driver.js';
import { scaledProfile } from '../../replica/profiles.js';
import { startReplica, type RunningReplica } from '../../replica/replica-server.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from './config.js';
import { startGatewayServer, type GatewayServer } from './server.js';
import { UpstreamPool } from './upstream-pool.js';

const MODEL = 'test-model';
const log = createLogger('test', undefined, 'silent');
const replicas: RunningReplica[] = [];
const dispatcher = new Agent();
const driver = new BuiltinDriver();
let index = 0;
let gateway: GatewayServer | undefined;
let pool: UpstreamPool;
let events = memoryEventSink('gateway/a', realClock);

/** A fresh gateway routing to the given stand-in replicas. */
async function gatewayFor(ids: number[], over: Partial<GatewayConfig> = {}): Promise<string> {
  const config = { ...DEFAULT_GATEWAY_CONFIG, firstTokenTimeoutMs: 300, stallTimeoutMs: 300, ...over };
  events = memoryEventSink('gateway/a', realClock);
  pool = new UpstreamPool(config, realClock, events, createRng(1));
  pool.setTopology(ids.map((i) => ({ replicaId: `a/p/${i}`, region: 'a', cluster: 'p', httpUrl: replicas[i]!.httpUrl, modelVersion: 'v1' })));
  gateway = await startGatewayServer({ id: 'gateway/a', region: 'a', modelName: MODEL, config, pool, clock: realClock, events }, '127.0.0.1');
  return gateway.url;
}

function send(url: string, streaming = true, maxTokens = 48) {
  const opts: LoadRunOptions = { entrypoint: url, ratePerSec: 1, arrival: 'constant', durationMs: 1, streaming, promptTokens: 16, maxTokens, timeoutMs: 10_000, model: MODEL, seed: 5 };
  return driver.one(opts, index++, dispatcher);
}

async function post(url: string, body: string) {
  const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body, headers: { 'content-type': 'application/json' }, dispatcher });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

beforeAll(async () => {
  for (let i = 0; i < 3; i++) {
    const r = await startReplica({
      id: `a/p/${i}`,
      region: 'a',
      cluster: 'p',
      host: '127.0.0.1',
      modelName: MODEL,
      modelVersion: 'v1',
      profile: scaledProfile('h100-llama3-8b', 0.3, 0),
      seed: 1,
      clock: realClock,
      events: memoryEventSink(`replica/a/p/${i}`, realClock),
      log,
      exit: () => undefined,
    });
    await r.ready;
    replicas.push(r);
  }
});

afterEach(async () => {
  for (const r of replicas) r.core.faults.clear('');
  pool?.close();
  await gateway?.close();
  gateway = undefined;
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.close()));
  await dispatcher.close();
});

describe('gateway', () => {
  it('serves complete, correct answers, streaming and not', async () => {
    const url = await gatewayFor([0, 1]);
    for (const streaming of [true, false]) {
      const r = await send(url, streaming);
      expect(r).toMatchObject({ outcome: 'ok', correct: true, resumes: 0 });
      expect(r.tokens).toBe(r.expectedTokens);
    }
  });

  it('ends with an explicit in-band error, never a short answer, when a stream cannot be resumed', async () => {
    const url = await gatewayFor([0, 1]);
    replicas[0]!.core.faults.inject('replica.stream-cut', 'cut', { afterTokens: 5 });
    replicas[1]!.core.faults.inject('replica.stream-cut', 'cut', { afterTokens: 5 });
    // both cut after 5 tokens of *their* part: the second continues from token 5 and is cut at 10,
    // then nothing is left to try, so the client must get an explicit error — never a short answer
    const failed = await send(url, true, 48);
    expect(failed.outcome).toBe('failed');
    expect(failed.reason).toMatch(/in-band error: stream interrupted after 10 tokens/);
    expect(failed.tokens).toBe(10);
  });

  it('resumes mid-stream after a replica dies, token-exact', async () => {
    const url = await gatewayFor([0, 1, 2]);
    replicas[0]!.core.faults.inject('replica.stream-cut', 'cut', { afterTokens: 3 });
    let resumed = 0;
    for (let i = 0; i < 6; i++) {
      const r = await send(url);
      expect(r).toMatchObject({ outcome: 'ok', correct: true });
      resumed += r.resumes;
    }
    expect(resumed).toBeGreaterThanOrEqual(1);
    expect(events.events.some((e) => e.type === 'request.resumed')).toBe(true);
    expect(events.events.some((e) => e.type === 'passive.eject' && e.subject === 'a/p/0')).toBe(true);
  });

  it('retries a GPU error before the first token elsewhere and ejects the replica', async () => {
    const url = await gatewayFor([0, 1]);
    replicas[0]!.core.faults.inject('gpu.xid', 'x');
    for (let i = 0; i < 4; i++) expect(await send(url)).toMatchObject({ outcome: 'ok', correct: true });
    expect(pool.isEjected('a/p/0')).toBe(true);
  });

  it('abandons a hung replica after the first-token timeout', async () => {
    const url = await gatewayFor([0, 1]);
    replicas[0]!.core.faults.inject('replica.hang', 'h');
    const results = [await send(url), await send(url)];
    for (const r of results) expect(r).toMatchObject({ outcome: 'ok', correct: true });
    const slow = results.find((r) => r.replicas.length === 2);
    expect(slow?.replicas).toEqual(['a/p/0', 'a/p/1']);
    expect(slow!.firstTokenMs! - slow!.startMs).toBeGreaterThanOrEqual(300);
  });

  it('answers 503 with Retry-After and the reason when no replica can serve', async () => {
    const url = await gatewayFor([0]);
    replicas[0]!.core.faults.inject('gpu.xid', 'x');
    const res = await post(url, JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], stream: true }));
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('1');
    expect(JSON.parse(res.text).error.message).toMatch(/no replica could serve the request: status 500 .*Xid 79/);
  });

  it('rejects malformed requests with a 400 naming the field, sending nothing upstream', async () => {
    const url = await gatewayFor([0]);
    const before = replicas[0]!.core.requestsTotal;
    const cases: [string, string | null, RegExp][] = [
      ['{bad', null, /not valid JSON/],
      [JSON.stringify({ messages: [] }), 'messages', /at least one message/],
      [JSON.stringify({ model: MODEL }), 'messages', /messages/],
      [JSON.stringify({ messages: [{ role: 'user', content: 'x' }], max_tokens: -2 }), 'max_tokens', /positive integer/],
      [JSON.stringify({ messages: [{ role: 'wizard', content: 'x' }] }), 'messages[0].role', /role/],
    ];
    for (const [body, param, message] of cases) {
      const res = await post(url, body);
      expect(res.status).toBe(400);
      const err = JSON.parse(res.text).error;
      expect(err.param).toBe(param);
      expect(err.message).toMatch(message);
    }
    expect((await post(url, JSON.stringify({ model: 'gpt-9', messages: [{ role: 'user', content: 'x' }] }))).status).toBe(404);
    expect(replicas[0]!.core.requestsTotal).toBe(before);
  });

  it('answers 429 with Retry-After past its in-flight limit', async () => {
    const url = await gatewayFor([0], { inFlightMax: 1 });
    replicas[0]!.core.faults.inject('gpu.thermal', 't', { factor: 20 });
    const slow = send(url);
    await realClock.sleep(30);
    const res = await post(url, JSON.stringify({ messages: [{ role: 'user', content: 'x' }] }));
    expect(res.status).toBe(429);
    expect(res.headers['retry-after']).toBe('1');
    expect((await slow).outcome).toBe('ok');
  });
});
