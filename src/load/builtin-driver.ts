// The built-in load driver: an open model (requests start on schedule whether or not earlier ones
// finished), Poisson or constant arrivals from the seeded rng, one record per request of exactly
// what the client saw — including whether the answer equals the expected deterministic answer.
// Client-side faults (client-faults.ts) add classes of misbehaving clients beside the base load.
import { Agent, request } from 'undici';
import { realClock, type Clock } from '../core/clock.js';
import { createRng } from '../core/rng.js';
import type { RequestRecord } from '../record/records.js';
import { SseParser } from '../protocol/sse.js';
import { CLIENT_ID_HEADER } from '../protocol/openai-http.js';
import { expectedAnswer, type ChatMessage } from '../protocol/tokens.js';
import type { LoadDriver, LoadRunOptions, LoadRunSummary } from './driver.js';
import { answeredBy, applyChunk, applySseData, classify, newObserved, type Chunk } from './observe.js';
import { promptFor, seedFor } from '../protocol/prompts.js';
import { runClientFault, type ClientBehaviour } from './client-faults.js';

/** The client id the well-behaved base load sends (a misbehaving class sends its fault kind). */
export const WELL_BEHAVED_CLIENT_ID = 'halab-load';

/** Requests in flight before the driver skips a start (protects the client, not the service). */
export const IN_FLIGHT_MAX = 2000;

export class BuiltinDriver implements LoadDriver {
  readonly name = 'builtin' as const;

  constructor(private readonly clock: Clock = realClock) {}

  async run(opts: LoadRunOptions, onRecord: (r: RequestRecord) => void, signal: AbortSignal): Promise<LoadRunSummary> {
    const dispatcher = new Agent({ connections: 512, keepAliveTimeout: 30_000, headersTimeout: 0, bodyTimeout: 0 });
    const rng = createRng(opts.seed).fork('arrivals');
    const inFlight = new Set<Promise<void>>();
    let started = 0;
    let completed = 0;
    let skipped = 0;
    const t0 = this.clock.monoMs();
    let nextAt = 0;
    const record = (r: RequestRecord): void => {
      completed += 1;
      onRecord(r);
    };
    const classes = (opts.clientFaults ?? []).map((fault, n) => runClientFault({ driver: this, opts, fault, faultNo: n, dispatcher, clock: this.clock, t0, signal, onRecord: record, full: () => inFlight.size >= IN_FLIGHT_MAX }));
    try {
      while (!signal.aborted) {
        nextAt += opts.arrival === 'poisson' ? rng.exponential(1000 / opts.ratePerSec) : 1000 / opts.ratePerSec;
        if (nextAt >= opts.durationMs) break;
        const wait = t0 + nextAt - this.clock.monoMs();
        if (wait > 0) await this.clock.sleep(wait, signal).catch(() => undefined);
        if (signal.aborted) break;
        if (inFlight.size >= IN_FLIGHT_MAX) {
          skipped += 1;
          continue;
        }
        const index = started++;
        const p = this.one(opts, index, dispatcher).then(record);
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
      }
      await Promise.all([...inFlight]);
      for (const c of await Promise.all(classes)) {
        started += c.started;
        skipped += c.skipped;
      }
    } finally {
      await dispatcher.close().catch(() => undefined);
    }
    return { driver: 'builtin', started, completed, skipped };
  }

  /** Sends request `index` and records what happened (as a client of `behaviour`'s class when given). Never rejects. */
  async one(opts: LoadRunOptions, index: number, dispatcher: Agent, behaviour?: ClientBehaviour): Promise<RequestRecord> {
    const messages: ChatMessage[] = promptFor(opts.seed, index, opts.promptTokens);
    const seed = seedFor(opts.seed, index);
    const startMs = this.clock.nowMs();
    const controller = new AbortController();
    let timedOut = false;
    let disconnected = false;
    const timer = this.clock.setTimer(opts.timeoutMs, () => {
      timedOut = true;
      controller.abort(new Error('timeout'));
    });
    const o = newObserved();
    let status: number | undefined;
    let replicaHeader: string | undefined;
    const onContent = (content: string): void => {
      const now = this.clock.nowMs();
      if (o.firstTokenMs === undefined) o.firstTokenMs = now;
      else o.gaps.push(Math.round((now - o.lastTokenMs!) * 10) / 10);
      o.lastTokenMs = now;
      o.text += content;
      o.tokens += 1;
    };
    const onChunk = (c: Chunk): void => applyChunk(o, c, onContent);
    try {
      const res = await request(`${opts.entrypoint}/v1/chat/completions`, {
        method: 'POST',
        dispatcher,
        signal: controller.signal,
        headers: { 'content-type': 'application/json', [CLIENT_ID_HEADER]: behaviour?.clientClass ?? WELL_BEHAVED_CLIENT_ID, ...(opts.clientRegion ? { 'x-halab-client-region': opts.clientRegion } : {}) },
        body:
          behaviour?.body ??
          JSON.stringify({
          model: opts.model,
          messages,
          max_tokens: opts.maxTokens,
          seed,
          temperature: 0,
          stream: opts.streaming,
          ...(opts.streaming ? { stream_options: { include_usage: true } } : {}),
          ...(opts.store ? { store: true } : {}),
        }),
      });
      status = res.statusCode;
      replicaHeader = typeof res.headers['x-halab-replica'] === 'string' ? res.headers['x-halab-replica'] : undefined;
      if (status !== 200) {
        o.error = `status ${status}: ${(await res.body.text()).slice(0, 200)}`;
      } else if (opts.streaming) {
        const parser = new SseParser();
        res.body.setEncoding('utf8');
        for await (const text of res.body as AsyncIterable<string>) {
          for (const data of parser.push(text)) applySseData(o, data, onContent);
          if (behaviour?.disconnectAfterTokens !== undefined && o.tokens >= behaviour.disconnectAfterTokens) {
            disconnected = true;
            controller.abort(new Error('client disconnected'));
            break;
          }
          if (behaviour?.readDelayMs) await this.clock.sleep(behaviour.readDelayMs);
        }
      } else {
        const body = JSON.parse(await res.body.text()) as Chunk;
        const content = body.choices?.[0]?.message?.content ?? '';
        o.firstTokenMs = this.clock.nowMs();
        o.text = content;
        o.tokens = content.split(' ').length - 1;
        onChunk({ ...body, choices: body.choices?.map((c) => ({ ...c, delta: {} })) ?? [] });
      }
    } catch (err) {
      if (!timedOut && !disconnected) o.error = `connection error: ${(err as Error).message}`;
    } finally {
      timer.cancel();
    }
    const endMs = this.clock.nowMs();
    const expected = o.version && opts.answersKnown !== false ? expectedAnswer(o.version, messages, seed, opts.maxTokens) : undefined;
    const verdict = timedOut
      ? { outcome: 'timeout' as const, reason: `no end within ${opts.timeoutMs}ms`, correct: null }
      : disconnected
        ? { outcome: 'failed' as const, reason: `the client disconnected after ${o.tokens} tokens`, correct: null }
        : classify(o, expected, opts.streaming);
    return {
      id: behaviour?.id ?? `r${index}`,
      startMs,
      ...(o.firstTokenMs !== undefined ? { firstTokenMs: o.firstTokenMs } : {}),
      endMs,
      streaming: opts.streaming,
      tokens: o.tokens,
      ...(expected ? { expectedTokens: expected.tokens.length } : {}),
      outcome: verdict.outcome,
      ...(status !== undefined ? { status } : {}),
      ...(verdict.reason ? { reason: verdict.reason } : {}),
      correct: verdict.correct,
      replicas: o.halab?.replicas ?? (replicaHeader ? [replicaHeader] : []),
      resumes: o.halab?.resumes ?? 0,
      ...(opts.streaming ? { tokenGapsMs: o.gaps } : {}),
      ...(o.version ? { modelVersion: o.version } : {}),
      ...answeredBy(o),
      ...(opts.clientRegion ? { clientRegion: opts.clientRegion } : {}),
      ...(opts.store && verdict.outcome === 'ok' && o.id ? { storedId: o.id, ...(o.halab?.region ? { storedRegion: o.halab.region } : {}) } : {}),
      ...(behaviour ? { clientClass: behaviour.clientClass } : {}),
    };
  }
}
