// Benchmark: the first request to hit each upstream misbehaviour, through a real gateway (default
// settings) over HTTP, with the primary stand-in misbehaving and a deterministic fallback provider
// (no assistant prefill) plus a larger-context group behind it. Per misbehaviour: what the client
// got, upstream attempts, and the latency added over a healthy request (median of fresh trials).
import { Agent, request } from 'undici';
import { realClock } from '../src/core/clock.js';
import { createRng } from '../src/core/rng.js';
import { memoryEventSink } from '../src/record/events.js';
import { SseParser } from '../src/protocol/sse.js';
import { DEFAULT_GATEWAY_CONFIG } from '../src/gateway/regional/config.js';
import type { ModelRoute } from '../src/config/model-routes.js';
import { startGatewayServer } from '../src/gateway/regional/server.js';
import { UpstreamPool } from '../src/gateway/regional/upstream-pool.js';
import type { MisbehaviourSpec } from '../src/replica/misbehaviour.js';
import { expectedAnswer } from '../src/protocol/tokens.js';
import { DEFAULT_STANDIN, startUpstreamStandin } from '../src/replica/upstream-standin.js';

interface Case {
  readonly name: string;
  readonly mode?: MisbehaviourSpec;
  readonly longPrompt?: boolean;
}

const CASES: readonly Case[] = [
  { name: 'healthy' },
  { name: '429 Retry-After 1s', mode: { mode: 'rate-limit', retryAfterS: 1 } },
  { name: '429 no Retry-After', mode: { mode: 'rate-limit' } },
  { name: '5xx once', mode: { mode: 'server-error', count: 1 } },
  { name: '5xx persistent', mode: { mode: 'server-error' } },
  { name: 'reset once', mode: { mode: 'reset', count: 1 } },
  { name: 'reset persistent', mode: { mode: 'reset' } },
  { name: 'accept, never answer', mode: { mode: 'hang' } },
  { name: 'stall after 6 tokens', mode: { mode: 'stall', afterTokens: 6 } },
  { name: 'cut after 8 tokens', mode: { mode: 'cut', afterTokens: 8 } },
  { name: 'malformed event', mode: { mode: 'malformed', afterTokens: 5 } },
  { name: 'no [DONE]', mode: { mode: 'no-done' } },
  { name: 'context length', longPrompt: true },
  { name: 'content policy', mode: { mode: 'content-policy' } },
  { name: 'down (resets)', mode: { mode: 'down' } },
];

const TRIALS = 5;
const dispatcher = new Agent();

async function trial(c: Case, n: number): Promise<{ outcome: string; attempts: number; ms: number; ttftMs?: number }> {
  const opts = { ...DEFAULT_STANDIN, host: '127.0.0.1', clock: realClock, firstTokenMs: 20, tokenMs: 4 };
  const primary = await startUpstreamStandin({ ...opts, contextLength: 256, ...(c.mode ? { initial: c.mode } : {}) });
  const fallback = await startUpstreamStandin({ ...opts, modelName: 'hosted', assistantPrefill: false, contextLength: 256 });
  const long = await startUpstreamStandin({ ...opts, modelName: 'long', contextLength: 100_000 });
  const pool = new UpstreamPool(DEFAULT_GATEWAY_CONFIG, realClock, memoryEventSink('gateway/b', realClock), createRng(7));
  pool.setTopology([
    { replicaId: 'b/primary/0', region: 'b', cluster: 'primary', httpUrl: primary.url, modelVersion: 'v1' },
    { replicaId: 'b/hosted/0', region: 'b', cluster: 'hosted', httpUrl: fallback.url, modelVersion: 'v1' },
    { replicaId: 'b/long/0', region: 'b', cluster: 'long', httpUrl: long.url, modelVersion: 'v1' },
  ]);
  const routes: ModelRoute[] = [
    {
      model: 'chat',
      groups: [
        { name: 'primary', clusters: new Set(['b/primary']), model: DEFAULT_STANDIN.modelName, assistantPrefill: true, deterministic: true, contextLengthTokens: 256 },
        { name: 'hosted', clusters: new Set(['b/hosted']), model: 'hosted', assistantPrefill: false, deterministic: true, contextLengthTokens: 256 },
        { name: 'long', clusters: new Set(['b/long']), model: 'long', assistantPrefill: false, deterministic: true, contextLengthTokens: 100_000 },
      ],
    },
  ];
  const gw = await startGatewayServer({ id: 'gateway/b', region: 'b', modelName: 'chat', routes, config: DEFAULT_GATEWAY_CONFIG, pool, clock: realClock, events: memoryEventSink('gateway/b', realClock) }, '127.0.0.1');
  try {
    const messages = [{ role: 'user', content: `bench ${n}: ${'explain failover '.repeat(c.longPrompt ? 200 : 4)}` }]; // same answers across cases
    const seed = 7 + n;
    const expected = expectedAnswer('v1', messages, seed, 48).tokens.join('');
    const started = performance.now();
    const res = await request(`${gw.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'chat', messages, seed, temperature: 0, max_tokens: 48, stream: true }),
      dispatcher,
    });
    if (res.statusCode !== 200) {
      await res.body.dump();
      return { outcome: `error ${res.statusCode}`, attempts: primary.requests() + fallback.requests() + long.requests(), ms: performance.now() - started };
    }
    const parser = new SseParser();
    let text = '';
    let finish: string | undefined;
    let done = false;
    let error: string | undefined;
    let attempts = 0;
    let ttftMs: number | undefined;
    res.body.setEncoding('utf8');
    for await (const chunk of res.body as AsyncIterable<string>) {
      for (const data of parser.push(chunk)) {
        if (data === '[DONE]') {
          done = true;
          continue;
        }
        const e = JSON.parse(data);
        if (e.error) error = e.error.message;
        if (e.halab?.attempts) attempts = e.halab.attempts.length;
        const content = e.choices?.[0]?.delta?.content;
        if (content) {
          ttftMs ??= performance.now() - started;
          text += content;
        }
        if (e.choices?.[0]?.finish_reason) finish = e.choices[0].finish_reason;
      }
    }
    const ms = performance.now() - started;
    const complete = finish !== undefined && done && !error;
    const outcome = complete ? (text === expected ? 'ok exact' : 'TRUNCATED/WRONG AS SUCCESS') : error ? 'in-band error' : 'TRUNCATED';
    return { outcome, attempts: attempts || primary.requests() + fallback.requests() + long.requests(), ms, ...(ttftMs !== undefined ? { ttftMs } : {}) };
  } finally {
    pool.close();
    await gw.close();
    await Promise.all([primary.close(), fallback.close(), long.close()]);
  }
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

export async function benchUpstreamMisbehaviour(): Promise<void> {
  const rows: string[] = [];
  for (let i = 0; i < 3; i++) await trial(CASES[0]!, 100 + i); // warm up (JIT, sockets) before the baseline
  let baseline = 0;
  let baselineTtft = 0;
  for (const c of CASES) {
    const results = [];
    for (let i = 0; i < TRIALS; i++) results.push(await trial(c, i));
    const ms = median(results.map((r) => r.ms));
    const ttft = median(results.filter((r) => r.ttftMs !== undefined).map((r) => r.ttftMs!));
    if (c.name === 'healthy') {
      baseline = ms;
      baselineTtft = ttft;
    }
    const outcomes = [...new Set(results.map((r) => r.outcome))].join(', ');
    const attempts = results.reduce((s, r) => s + r.attempts, 0) / results.length;
    const fmt = (x: number): string => (Number.isFinite(x) ? Math.round(x).toString() : '-');
    rows.push(`${c.name.padEnd(22)} ${outcomes.padEnd(20)} ${attempts.toFixed(1).padStart(8)} ${fmt(ttft - baselineTtft).padStart(10)} ${fmt(ms).padStart(9)} ${fmt(ms - baseline).padStart(9)}`);
  }
  process.stdout.write(`first request hitting each misbehaviour (median of ${TRIALS} fresh gateways, 48-token answers, default gateway settings)\n`);
  process.stdout.write(`${'misbehaviour'.padEnd(22)} ${'client got'.padEnd(20)} attempts added TTFT  total ms  added ms\n${rows.join('\n')}\n`);
  await dispatcher.close();
}
