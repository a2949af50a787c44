// Circuits close on evidence: a gateway (real HTTP) over misbehaving stand-ins. An upstream whose
// model fails while its /health is fine stays ejected however many health checks pass; completion
// probes of that model stay within their budget; a completion — probe or real request in the
// half-open state — closes the circuit, and traffic is back within the stated bound. The half-open
// trial cases (a real request closes the circuit; a failed trial doubles the ejection) run on
// virtual time in src/sim/harness/circuits-vt.test.ts, with the same production classes.
import { Agent, request } from 'undici';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { createRng } from '../src/core/rng.js';
import { memoryEventSink } from '../src/record/events.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../src/gateway/regional/config.js';
import type { ModelRoute } from '../src/config/model-routes.js';
import { startGatewayServer, type GatewayServer } from '../src/gateway/regional/server.js';
import { UpstreamPool } from '../src/gateway/regional/upstream-pool.js';
import type { MisbehaviourSpec } from '../src/replica/misbehaviour.js';
import { DEFAULT_STANDIN, startUpstreamStandin, type RunningStandin } from '../src/replica/upstream-standin.js';

const dispatcher = new Agent({ connections: 16 });
const standins: RunningStandin[] = [];
let gateway: GatewayServer | undefined;
let pool: UpstreamPool | undefined;
let events: ReturnType<typeof memoryEventSink>;

async function standin(modelName: string, mode?: MisbehaviourSpec): Promise<RunningStandin> {
  const s = await startUpstreamStandin({ ...DEFAULT_STANDIN, modelName, host: '127.0.0.1', clock: realClock, firstTokenMs: 5, tokenMs: 2, ...(mode ? { initial: mode } : {}) });
  standins.push(s);
  return s;
}

async function serve(p: RunningStandin, f: RunningStandin | undefined, over: Partial<GatewayConfig>): Promise<string> {
  const config: GatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, firstTokenTimeoutMs: 400, stallTimeoutMs: 400, readmitProbeIntervalMs: 50, ...over };
  events = memoryEventSink('gateway/r', realClock);
  pool = new UpstreamPool(config, realClock, events, createRng(3));
  pool.setTopology([
    { replicaId: 'r/p/0', region: 'r', cluster: 'p', httpUrl: p.url, modelVersion: 'v1' },
    ...(f ? [{ replicaId: 'r/f/0', region: 'r', cluster: 'f', httpUrl: f.url, modelVersion: 'v1' }] : []),
  ]);
  const routes: ModelRoute[] = [
    {
      model: 'chat',
      groups: [
        { name: 'p', clusters: new Set(['r/p']), model: 'big', assistantPrefill: false, deterministic: false },
        ...(f ? [{ name: 'f', clusters: new Set(['r/f']), model: 'alt', assistantPrefill: false, deterministic: false }] : []),
      ],
    },
  ];
  gateway = await startGatewayServer({ id: 'gateway/r', region: 'r', modelName: 'chat', routes, config, pool, clock: realClock, events }, '127.0.0.1');
  return gateway.url;
}

async function ask(url: string): Promise<{ status: number; model?: string; retryAfter?: string }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'chat', messages: [{ role: 'user', content: 'hello there' }], max_tokens: 8, stream: false }),
    dispatcher,
  });
  const body = (await res.body.json()) as { model?: string };
  return { status: res.statusCode, ...(body.model ? { model: body.model } : {}), ...(typeof res.headers['retry-after'] === 'string' ? { retryAfter: res.headers['retry-after'] } : {}) };
}

const ofPrimary = (type: string) => events.events.filter((e) => e.type === type && e.subject === 'r/p/0');

afterEach(async () => {
  pool?.close();
  await gateway?.close();
  gateway = undefined;
  await Promise.all(standins.splice(0).map((s) => s.close()));
});

afterAll(async () => {
  await dispatcher.close();
});

describe('circuits close on evidence', () => {
  it('/health alone never closes a circuit that completions opened; probes of the model stay within completionProbeIntervalMs; a good probe closes it', async () => {
    const p = await standin('big', { mode: 'server-error', status: 502 });
    const f = await standin('alt');
    const url = await serve(p, f, { baseEjectionMs: 100, maxEjectionMs: 200, completionProbeIntervalMs: 700 });
    expect((await ask(url)).model).toBe('alt');
    expect(ofPrimary('passive.eject')).toHaveLength(1);
    const realAttempts = p.requests();
    const started = performance.now();
    await realClock.sleep(2000);
    const elapsedMs = performance.now() - started;
    // /health answered 200 every 50 ms all along, and the circuit is still open
    expect(ofPrimary('passive.readmit')).toHaveLength(0);
    expect(pool!.isEjected('r/p/0', 'big')).toBe(true);
    const probes = p.requests() - realAttempts;
    expect(probes).toBeGreaterThanOrEqual(1);
    expect(probes).toBeLessThanOrEqual(Math.ceil(elapsedMs / 700) + 1);
    expect(pool!.circuits.probesSent).toBe(probes);
    // the model recovers: the next completion probe closes the circuit, within the interval
    p.state.set({ mode: 'ok' }, Date.now());
    const healedAt = performance.now();
    while (ofPrimary('passive.readmit').length === 0) {
      expect(performance.now() - healedAt).toBeLessThan(700 + 1000);
      await realClock.sleep(20);
    }
    expect(ofPrimary('passive.readmit')[0]!.reason).toMatch(/completion probe of big answered/);
    expect((await ask(url)).model).toBe('big');
  });

  it('retryAfterPolicy: honour waits out a short Retry-After on the same upstream; failover answers at once', async () => {
    const p = await standin('big', { mode: 'rate-limit', retryAfterS: 1, count: 1 });
    const url = await serve(p, undefined, { retryAfterPolicy: 'honour' });
    let t = performance.now();
    expect((await ask(url)).status).toBe(200);
    expect(performance.now() - t).toBeGreaterThanOrEqual(900);
    pool?.close();
    await gateway?.close();
    const q = await standin('big', { mode: 'rate-limit', retryAfterS: 1, count: 1 });
    const url2 = await serve(q, undefined, { retryAfterPolicy: 'failover' });
    t = performance.now();
    const r = await ask(url2);
    expect(r.status).toBe(429);
    expect(r.retryAfter).toBe('1');
    expect(performance.now() - t).toBeLessThan(900);
  });
});
