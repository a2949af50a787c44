// The gateway over real HTTP against misbehaving-upstream stand-ins (real HTTP servers): each way a
// real upstream misbehaves, and what the client gets. Every answer presented as a success must be
// the complete, exact deterministic answer.
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { createRng } from '../src/core/rng.js';
import { memoryEventSink } from '../src/record/events.js';
import { SseParser } from '../src/protocol/sse.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../src/gateway/regional/config.js';
import { createGatewayMetrics, type GatewayMetrics } from '../src/gateway/regional/metrics.js';
import type { ModelRoute } from '../src/config/model-routes.js';
import { startGatewayServer, type GatewayServer } from '../src/gateway/regional/server.js';
import { UpstreamPool } from '../src/gateway/regional/upstream-pool.js';
import type { MisbehaviourSpec } from '../src/replica/misbehaviour.js';
import { expectedAnswer } from '../src/protocol/tokens.js';
import { DEFAULT_STANDIN, startUpstreamStandin, type RunningStandin, type StandinOptions } from '../src/replica/upstream-standin.js';

const dispatcher = new Agent({ connections: 64 });
const standins: RunningStandin[] = [];
let gateway: GatewayServer | undefined;
let pool: UpstreamPool | undefined;
let events = memoryEventSink('gateway/r', realClock);
let metrics: GatewayMetrics;
let seq = 0;

async function standin(over: Partial<StandinOptions> = {}, mode?: MisbehaviourSpec): Promise<RunningStandin> {
  const s = await startUpstreamStandin({ ...DEFAULT_STANDIN, host: '127.0.0.1', clock: realClock, firstTokenMs: 10, tokenMs: 3, ...over, ...(mode ? { initial: mode } : {}) });
  standins.push(s);
  return s;
}

interface GroupDef {
  readonly name: string;
  readonly standins: readonly RunningStandin[];
  readonly model?: string;
  readonly prefill?: boolean;
  readonly deterministic?: boolean;
  readonly contextLength?: number;
}

/** A gateway whose route "chat" tries the groups in order. */
async function gatewayFor(groups: readonly GroupDef[], over: Partial<GatewayConfig> = {}): Promise<string> {
  pool?.close();
  await gateway?.close();
  const config: GatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, firstTokenTimeoutMs: 400, stallTimeoutMs: 400, baseEjectionMs: 500, readmitProbeIntervalMs: 100, ...over };
  events = memoryEventSink('gateway/r', realClock);
  metrics = createGatewayMetrics('r');
  pool = new UpstreamPool(config, realClock, events, createRng(1));
  pool.setTopology(groups.flatMap((g) => g.standins.map((s, i) => ({ replicaId: `r/${g.name}/${i}`, region: 'r', cluster: g.name, httpUrl: s.url, modelVersion: 'v1' }))));
  const routes: ModelRoute[] = [
    {
      model: 'chat',
      groups: groups.map((g) => ({
        name: g.name,
        clusters: new Set([`r/${g.name}`]),
        model: g.model ?? DEFAULT_STANDIN.modelName,
        assistantPrefill: g.prefill ?? false,
        deterministic: g.deterministic ?? false,
        ...(g.contextLength ? { contextLengthTokens: g.contextLength } : {}),
      })),
    },
  ];
  gateway = await startGatewayServer({ id: 'gateway/r', region: 'r', modelName: 'chat', routes, config, pool, clock: realClock, events, metrics }, '127.0.0.1');
  return gateway.url;
}

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  finishReason?: string;
  sawDone: boolean;
  model?: string;
  usage?: { prompt_tokens: number; completion_tokens: number };
  halab?: { replicas: string[]; resumes: number; model?: string; attempts?: { replica: string; group: string; mode: string; outcome: string }[] };
  error?: string;
  body?: { error?: { message: string; code: string } };
  ms: number;
  expected: string;
  complete: boolean;
}

/** Sends one seeded, temperature-0 request and reads everything the client gets. */
async function ask(url: string, opts: { maxTokens?: number; words?: number; stream?: boolean } = {}): Promise<Answer> {
  const n = seq++;
  const messages = [{ role: 'user', content: `question ${n}: ${'why '.repeat(opts.words ?? 6).trim()}` }];
  const seed = 100 + n;
  const maxTokens = opts.maxTokens ?? 24;
  const expected = expectedAnswer('v1', messages, seed, maxTokens);
  const started = performance.now();
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages, seed, temperature: 0, max_tokens: maxTokens, stream: opts.stream ?? true, stream_options: { include_usage: true } }),
    dispatcher,
  });
  const a: Answer = { status: res.statusCode, headers: res.headers, text: '', sawDone: false, ms: 0, expected: expected.tokens.join(''), complete: false };
  if (res.statusCode !== 200 || opts.stream === false) {
    const raw = await res.body.text();
    const body = JSON.parse(raw);
    if (res.statusCode === 200) {
      a.text = body.choices[0].message.content;
      a.finishReason = body.choices[0].finish_reason;
      a.model = body.model;
      a.usage = body.usage;
      a.halab = body.halab;
    } else a.body = body;
  } else {
    const parser = new SseParser();
    res.body.setEncoding('utf8');
    for await (const chunk of res.body as AsyncIterable<string>) {
      for (const data of parser.push(chunk)) {
        if (data === '[DONE]') {
          a.sawDone = true;
          continue;
        }
        const c = JSON.parse(data); // anything unparseable reaching the client fails the test here
        if (c.error) a.error = c.error.message;
        if (c.model) a.model = c.model;
        if (c.usage) a.usage = c.usage;
        if (c.halab) a.halab = c.halab;
        const choice = c.choices?.[0];
        if (choice?.delta?.content) a.text += choice.delta.content;
        if (choice?.finish_reason) a.finishReason = choice.finish_reason;
      }
    }
  }
  a.ms = performance.now() - started;
  a.complete = a.status === 200 && a.finishReason !== undefined && (opts.stream === false || a.sawDone) && !a.error;
  if (process.env.DEBUG_ANSWERS && !a.complete) console.log(JSON.stringify(a));
  // the rule of the whole issue: a complete-looking answer is the exact answer
  if (a.complete) expect(a.text).toBe(a.expected);
  return a;
}

const outcomes = (a: Answer): string[] => (a.halab?.attempts ?? []).map((t) => `${t.replica}:${t.outcome}`);

afterEach(async () => {
  pool?.close();
  await gateway?.close();
  gateway = undefined;
  await Promise.all(standins.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await dispatcher.close();
});

describe('rate limits (429)', () => {
  it('honours Retry-After: waits it out when nowhere else can serve, then succeeds on the same upstream', async () => {
    const a = await standin({}, { mode: 'rate-limit', retryAfterS: 1, count: 1 });
    const url = await gatewayFor([{ name: 'p', standins: [a] }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:overload', 'r/p/0:done']);
    expect(r.ms).toBeGreaterThanOrEqual(950);
    expect(a.requests()).toBe(2);
  });

  it('fails over at once when a fallback exists, and sends nothing to the limited upstream before its Retry-After', async () => {
    const a = await standin({}, { mode: 'rate-limit', retryAfterS: 5 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    for (let i = 0; i < 5; i++) {
      const r = await ask(url);
      expect(r.complete).toBe(true);
      expect(r.model).toBe('alt');
    }
    expect(a.requests()).toBe(1);
    expect(f.requests()).toBe(5);
  });

  it('without Retry-After backs off with jitter (growing per 429) and fails over meanwhile', async () => {
    const a = await standin({}, { mode: 'rate-limit' });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const started = performance.now();
    for (let i = 0; i < 12; i++) {
      const r = await ask(url);
      expect(r.complete).toBe(true);
      expect(r.model).toBe('alt');
      await realClock.sleep(40);
    }
    const elapsedMs = performance.now() - started;
    // the n-th backoff is at least half of 100ms·2^(n-1) (capped at 2s): that bounds how many 429s fit in the time taken
    let fit = 1;
    for (let t = 0, n = 1; ; n++) {
      t += Math.min(2000, 100 * 2 ** (n - 1)) / 2;
      if (t > elapsedMs) break;
      fit += 1;
    }
    expect(a.requests()).toBeGreaterThanOrEqual(2);
    expect(a.requests()).toBeLessThanOrEqual(fit);
    expect(a.requests()).toBeLessThan(12);
  });

  it('without Retry-After backs off with jitter, never hammers, and answers 429 with Retry-After when nowhere else can serve', async () => {
    const a = await standin({}, { mode: 'rate-limit' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }], { retriesPerWindowMax: 3, retryWindowMs: 1000, retryWaitMaxMs: 600 });
    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 8 }, () => ask(url)));
    const elapsedS = (performance.now() - started) / 1000;
    for (const r of results) {
      expect(r.status).toBe(429);
      expect(r.headers['retry-after']).toBeDefined();
      expect(r.body?.error?.message).toMatch(/429 from r\/p\/0 \(no Retry-After\)/);
    }
    // 8 first attempts, then at most 3 retries per second of the window
    expect(a.requests()).toBeLessThanOrEqual(8 + 3 * Math.ceil(elapsedS + 1));
  });
});

describe('5xx and resets', () => {
  it('retries a single 5xx on the same upstream; the failed attempt is not a completion', async () => {
    const a = await standin({}, { mode: 'server-error', count: 1 });
    const url = await gatewayFor([{ name: 'p', standins: [a] }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:status', 'r/p/0:done']);
    expect(a.completions()).toBe(1);
    const text = await metrics.registry.metrics();
    expect(text).toMatch(/halab_gateway_upstream_attempts_total\{group="p",outcome="done",region="r"\} 1/);
    expect(text).toMatch(/halab_gateway_upstream_attempts_total\{group="p",outcome="status",region="r"\} 1/);
    expect(text).toMatch(/halab_gateway_requests_total\{region="r",outcome="ok"\} 1/);
  });

  it('fails over on a persistent 5xx; the response names the model that answered and its usage', async () => {
    const a = await standin({}, { mode: 'server-error', status: 502 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:status', 'r/p/0:status', 'r/f/0:done']);
    expect(r.model).toBe('alt');
    expect(r.halab?.model).toBe('alt');
    expect(r.usage?.completion_tokens).toBe(r.expected.split(' ').length - 1);
    expect(r.usage?.prompt_tokens).toBeGreaterThan(0);
    // ejected: the next request goes straight to the fallback
    const next = await ask(url, { stream: false });
    expect(next.complete).toBe(true);
    expect(outcomes(next)).toEqual(['r/f/0:done']);
    expect(events.events.some((e) => e.type === 'passive.eject' && e.subject === 'r/p/0')).toBe(true);
  });

  it('reports the original upstream error when there is nowhere to go', async () => {
    const a = await standin({}, { mode: 'server-error', status: 500 });
    const url = await gatewayFor([{ name: 'p', standins: [a] }]);
    const r = await ask(url);
    expect(r.status).toBe(503);
    expect(r.body?.error?.message).toMatch(/no replica could serve the request: status 500 from r\/p\/0: .*upstream internal error \(stand-in 500\)/);
    expect(a.requests()).toBe(2);
  });

  it('retries a connection reset before headers, then fails over when it persists', async () => {
    const a = await standin({}, { mode: 'reset', count: 1 });
    const url = await gatewayFor([{ name: 'p', standins: [a] }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:reset', 'r/p/0:done']);
    a.state.set({ mode: 'reset' }, Date.now());
    const f = await standin({ modelName: 'alt' });
    const url2 = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const r2 = await ask(url2);
    expect(r2.complete).toBe(true);
    expect(r2.model).toBe('alt');
  });
});

describe('silent and broken streams', () => {
  it('ends a silent attempt at the first-token timeout and fails over at once, never retrying the silent route', async () => {
    const a = await standin({}, { mode: 'hang' });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:timeout', 'r/f/0:done']);
    expect(r.ms).toBeGreaterThanOrEqual(400);
    expect(r.ms).toBeLessThan(2500);
    expect(a.requests()).toBe(1);
  });

  it('detects a stall within the bound and continues on a deterministic fallback by token-exact replay', async () => {
    const a = await standin({}, { mode: 'stall', afterTokens: 6 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', deterministic: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(r.halab?.attempts?.map((t) => `${t.outcome}/${t.mode}`)).toEqual(['stall/fresh', 'done/replay']);
    expect(r.halab?.resumes).toBe(1);
    expect(r.model).toBe('alt');
  });

  it('ends a stalled stream with an in-band error when nothing can continue it, and stays healthy', async () => {
    const a = await standin({}, { mode: 'stall', afterTokens: 6, count: 1 });
    const b = await standin();
    const url = await gatewayFor([{ name: 'p', standins: [a, b] }]);
    const r = await ask(url);
    expect(r.complete).toBe(false);
    expect(r.error).toMatch(/stream interrupted after 6 tokens and could not be resumed: stream from r\/p\/0 stalled for 400ms/);
    expect(r.sawDone).toBe(false);
    expect(gateway!.inFlight()).toBe(0);
    const health = await request(`${url}/health`, { dispatcher });
    await health.body.dump();
    expect(health.statusCode).toBe(200);
    expect((await ask(url)).complete).toBe(true);
  });

  it('continues a cut stream by token-exact replay on a deterministic fallback', async () => {
    const a = await standin({}, { mode: 'cut', afterTokens: 7 });
    const f = await standin({ modelName: 'alt', assistantPrefill: false });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', deterministic: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(r.halab?.attempts?.map((t) => `${t.outcome}/${t.mode}`)).toEqual(['cut/fresh', 'done/replay']);
    expect(r.usage?.completion_tokens).toBe(r.expected.split(' ').length - 1);
  });

  it('continues a cut stream by assistant prefill where the fallback supports it', async () => {
    const a = await standin({}, { mode: 'cut', afterTokens: 7 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', prefill: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(r.halab?.attempts?.map((t) => `${t.outcome}/${t.mode}`)).toEqual(['cut/fresh', 'done/prefill']);
  });

  it('ends with a clear in-band error when the fallback can neither replay nor prefill', async () => {
    const a = await standin({}, { mode: 'cut', afterTokens: 7 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const r = await ask(url);
    expect(r.complete).toBe(false);
    expect(r.error).toMatch(/stream interrupted after 7 tokens and could not be resumed: stream cut by r\/p\/0.*no fallback could continue the answer/);
    expect(f.requests()).toBe(0);
  });

  it('never lets a prefill rejection hide the real failure', async () => {
    const a = await standin({}, { mode: 'cut', afterTokens: 7 });
    const f = await standin({ modelName: 'alt', assistantPrefill: false }); // declared prefill, rejects it
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', prefill: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(false);
    expect(r.error).toMatch(/stream interrupted after 7 tokens and could not be resumed: stream cut by r\/p\/0.*; f rejected the continuation \(r\/f\/0 answered 400: continue_final_message is not supported/);
  });

  it('refuses a replay whose regenerated prefix differs, and says so', async () => {
    const a = await standin({}, { mode: 'cut', afterTokens: 7 });
    const f = await standin({ modelName: 'alt', modelVersion: 'other' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', deterministic: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(false);
    expect(r.text).toBe(r.expected.split(' ').slice(0, 8).join(' '));
    expect(r.error).toMatch(/replay on r\/f\/0 diverged from the 7 tokens already sent/);
  });

  it('fails an attempt with a malformed event cleanly and continues elsewhere; nothing broken reaches the client', async () => {
    const a = await standin({}, { mode: 'malformed', afterTokens: 5 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt', deterministic: true }]);
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(outcomes(r)).toEqual(['r/p/0:malformed', 'r/f/0:done']);
  });

  it('finishes promptly with usage when [DONE] never comes', async () => {
    const a = await standin({}, { mode: 'no-done' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }], { stallTimeoutMs: 3000 });
    const r = await ask(url);
    expect(r.complete).toBe(true);
    expect(r.usage?.completion_tokens).toBe(r.expected.split(' ').length - 1);
    expect(outcomes(r)).toEqual(['r/p/0:done']);
    expect(r.ms).toBeLessThan(2500);
  });
});

describe('an upstream that ignores stream_options', () => {
  it('ends an answer within the grace after its finish reason when neither usage nor [DONE] comes', async () => {
    // a raw server: a finish reason, no usage, no [DONE], and the connection held open
    const { createServer } = await import('node:http');
    const messages = [{ role: 'user', content: 'raw' }];
    const expected = expectedAnswer('v1', messages, 1, 5).tokens;
    const server = createServer((req, res) => {
      req.resume();
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      for (const t of expected) res.write(`data: ${JSON.stringify({ system_fingerprint: 'v1', choices: [{ index: 0, delta: { content: t }, finish_reason: null }] })}\n\n`);
      res.write(`data: ${JSON.stringify({ choices: [{ index: 0, delta: {}, finish_reason: 'length' }] })}\n\n`);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const port = (server.address() as { port: number }).port;
      const fake = { url: `http://127.0.0.1:${port}`, close: async () => undefined } as unknown as RunningStandin;
      const url = await gatewayFor([{ name: 'p', standins: [fake] }], { stallTimeoutMs: 3000, doneGraceMs: 200 });
      const started = performance.now();
      const res = await request(`${url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages, seed: 1, max_tokens: 5, stream: true, stream_options: { include_usage: true } }), dispatcher });
      const body = await res.body.text();
      expect(performance.now() - started).toBeLessThan(2000);
      expect(body).toContain('"finish_reason":"length"');
      expect(body).toMatch(/"usage":\{"prompt_tokens":0,"completion_tokens":5,"total_tokens":5\}/);
      expect(body.trim().endsWith('data: [DONE]')).toBe(true);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('request errors (400)', () => {
  const long = 400; // words: past the 128-token context of the primary

  it('context length exceeded: no retry on the same model, routed to a larger-context group', async () => {
    const a = await standin({ contextLength: 128 });
    const b = await standin({ contextLength: 128 });
    const l = await standin({ modelName: 'long', contextLength: 100_000 });
    const url = await gatewayFor([
      { name: 'p', standins: [a, b], contextLength: 128 },
      { name: 'l', standins: [l], model: 'long', contextLength: 100_000 },
    ]);
    const r = await ask(url, { words: long });
    expect(r.complete).toBe(true);
    expect(r.model).toBe('long');
    expect(a.requests() + b.requests()).toBe(1);
  });

  it('context length exceeded with no larger group: the 400 is passed through, unretried', async () => {
    const a = await standin({ contextLength: 128 });
    const f = await standin({ modelName: 'alt', contextLength: 128 });
    // the second group declares no context length, so the gateway cannot answer for the route itself
    const url = await gatewayFor([{ name: 'p', standins: [a], contextLength: 128 }, { name: 'f', standins: [f], model: 'alt' }]);
    const r = await ask(url, { words: long });
    expect(r.status).toBe(400);
    expect(r.body?.error?.code).toBe('context_length_exceeded');
    expect(a.requests()).toBe(1);
    expect(f.requests()).toBe(0);
  });

  it('context length exceeded for every declared group: the gateway answers 400 without an upstream attempt', async () => {
    const a = await standin({ contextLength: 128 });
    const f = await standin({ modelName: 'alt', contextLength: 128 });
    const url = await gatewayFor([{ name: 'p', standins: [a], contextLength: 128 }, { name: 'f', standins: [f], model: 'alt', contextLength: 128 }]);
    const r = await ask(url, { words: long });
    expect(r.status).toBe(400);
    expect(r.body?.error?.code).toBe('context_length_exceeded');
    expect(r.body?.error?.message).toMatch(/maximum context length is 128 tokens/);
    expect(a.requests() + f.requests()).toBe(0);
  });

  it('content policy: no retry, no fallback, the reason passed through', async () => {
    const a = await standin({}, { mode: 'content-policy' });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a] }, { name: 'f', standins: [f], model: 'alt' }]);
    const r = await ask(url);
    expect(r.status).toBe(400);
    expect(r.body?.error?.code).toBe('content_policy_violation');
    expect(r.body?.error?.message).toMatch(/safety system/);
    expect(a.requests()).toBe(1);
    expect(f.requests()).toBe(0);
  });
});

describe('circuit breaker', () => {
  it('a primary down for a while: opens, serves from the fallback, probes, closes and returns to the primary', async () => {
    const a = await standin({ modelName: 'big' }, { mode: 'down', forMs: 1500 });
    const f = await standin({ modelName: 'alt' });
    const url = await gatewayFor([{ name: 'p', standins: [a], model: 'big' }, { name: 'f', standins: [f], model: 'alt' }], { baseEjectionMs: 400 });
    const served: string[] = [];
    const started = performance.now();
    const first = await ask(url);
    expect(first.complete).toBe(true);
    expect(outcomes(first)).toEqual(['r/p/0:reset', 'r/p/0:reset', 'r/f/0:done']);
    const afterOpen = a.requests();
    while (performance.now() - started < 4000) {
      const r = await ask(url);
      expect(r.complete).toBe(true);
      served.push(r.model!);
      // while the circuit is open no request goes to the primary (only health probes)
      if (performance.now() - started < 1400) expect(a.requests()).toBe(afterOpen);
      await realClock.sleep(50);
    }
    expect(served[0]).toBe('alt');
    expect(served.at(-1)).toBe('big');
    const types = events.events.filter((e) => e.subject === 'r/p/0').map((e) => e.type);
    expect(types).toContain('passive.eject');
    expect(types).toContain('passive.readmit');
    expect(types.indexOf('passive.eject')).toBeLessThan(types.lastIndexOf('passive.readmit'));
  });
});
