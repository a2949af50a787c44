// k6 output → request records. The k6 script (scenarios/k6/chat-stream.js) prints one line
// `HALAB_RECORD <json>` per request with times, status, k6's error and the raw body; here each
// becomes the same RequestRecord the built-in driver writes, with the same SSE parser, outcome
// rules (observe.ts) and correctness check against the deterministic answer. Pure: no I/O.
import { z, type ZodType } from 'zod';
import { parseLine } from '../record/ndjson.js';
import type { RequestRecord } from '../record/records.js';
import { SseParser } from '../protocol/sse.js';
import { expectedAnswer } from '../protocol/tokens.js';
import { answeredBy, applyChunk, applySseData, classify, newObserved, type Chunk } from './observe.js';
import { promptFor, seedFor } from '../protocol/prompts.js';

export const K6_RECORD_PREFIX = 'HALAB_RECORD ';

/** k6's error code for a request that hit its timeout (lib/netext/httpext/error_codes.go). */
export const K6_REQUEST_TIMEOUT_CODE = 1050;

/** One line of the k6 script's output, as printed. */
export interface K6RawRecord {
  readonly index: number;
  readonly startMs: number;
  /** Epoch ms of the first response byte (end − timings.receiving); absent without a response. */
  readonly firstByteMs?: number;
  readonly endMs: number;
  /** HTTP status; 0 when k6 got no response. */
  readonly status: number;
  readonly errorCode: number;
  readonly error?: string;
  readonly replica?: string;
  readonly body: string;
}

/** What the records of one run need to know about the load. */
export interface K6RecordContext {
  readonly seed: number;
  readonly promptTokens: number;
  readonly maxTokens: number;
  readonly streaming: boolean;
  readonly timeoutMs: number;
  readonly clientRegion?: string;
  /** False: real engines answered, the expected answers are unknown. */
  readonly answersKnown?: boolean;
}

const k6RawRecordSchema: ZodType<K6RawRecord> = z.looseObject({
  index: z.number().int().nonnegative(),
  startMs: z.number(),
  firstByteMs: z.number().optional(),
  endMs: z.number(),
  status: z.number(),
  errorCode: z.number(),
  error: z.string().optional(),
  replica: z.string().optional(),
  body: z.string(),
});

/**
 * Parses one line of k6's console output: the raw record when the line is one, undefined for any
 * other line (k6's own log lines). A line with the prefix but a malformed record throws.
 */
export function parseK6Line(line: string): K6RawRecord | undefined {
  const at = line.indexOf(K6_RECORD_PREFIX);
  if (at < 0) return undefined;
  const json = line.slice(at + K6_RECORD_PREFIX.length);
  const r = parseLine(json, k6RawRecordSchema);
  if (r.ok) return r.value;
  if (r.kind === 'json') throw new Error(`malformed k6 record (${r.message}): ${json.slice(0, 120)}`);
  throw new Error(`k6 record lacks index, startMs, endMs, status, errorCode or body (${r.message}): ${json.slice(0, 120)}`);
}

/** The request record of one k6 request, judged exactly like the built-in driver judges its own. */
export function k6ToRequestRecord(raw: K6RawRecord, ctx: K6RecordContext): RequestRecord {
  const messages = promptFor(ctx.seed, raw.index, ctx.promptTokens);
  const seed = seedFor(ctx.seed, raw.index);
  const o = newObserved();
  const onContent = (content: string): void => {
    o.text += content;
    o.tokens += 1;
  };
  const timedOut = raw.errorCode === K6_REQUEST_TIMEOUT_CODE;
  if (raw.status === 0) {
    if (!timedOut) o.error = `connection error: ${raw.error ?? `k6 error ${raw.errorCode}`}`;
  } else if (raw.status !== 200) {
    o.error = `status ${raw.status}: ${raw.body.slice(0, 200)}`;
  } else if (ctx.streaming) {
    const parser = new SseParser();
    for (const data of parser.push(raw.body)) applySseData(o, data, onContent);
    // a body cut off by a broken connection after a 200: the built-in driver sees the same as an error
    if (raw.errorCode !== 0 && !timedOut && !o.error) o.error = `connection error: ${raw.error ?? `k6 error ${raw.errorCode}`}`;
  } else {
    try {
      const body = JSON.parse(raw.body) as Chunk;
      const content = body.choices?.[0]?.message?.content ?? '';
      o.text = content;
      o.tokens = content.split(' ').length - 1;
      applyChunk(o, { ...body, choices: body.choices?.map((c) => ({ ...c, delta: {} })) ?? [] }, onContent);
    } catch {
      o.error = `connection error: ${raw.error ?? `unparsable body: ${raw.body.slice(0, 80)}`}`;
    }
  }
  // the gateway sends its headers with the first token, so a 200's first byte is the first token
  const firstTokenMs = raw.status === 200 && o.tokens > 0 ? (raw.firstByteMs ?? raw.endMs) : undefined;
  const expected = o.version && ctx.answersKnown !== false ? expectedAnswer(o.version, messages, seed, ctx.maxTokens) : undefined;
  const verdict = timedOut ? { outcome: 'timeout' as const, reason: `no end within ${ctx.timeoutMs}ms`, correct: null } : classify(o, expected, ctx.streaming);
  return {
    id: `r${raw.index}`,
    startMs: raw.startMs,
    ...(firstTokenMs !== undefined ? { firstTokenMs } : {}),
    endMs: raw.endMs,
    streaming: ctx.streaming,
    tokens: o.tokens,
    ...(expected ? { expectedTokens: expected.tokens.length } : {}),
    outcome: verdict.outcome,
    ...(raw.status > 0 ? { status: raw.status } : {}),
    ...(verdict.reason ? { reason: verdict.reason } : {}),
    correct: verdict.correct,
    replicas: o.halab?.replicas ?? (raw.replica ? [raw.replica] : []),
    resumes: o.halab?.resumes ?? 0,
    ...(o.version ? { modelVersion: o.version } : {}),
    ...answeredBy(o),
    ...(ctx.clientRegion ? { clientRegion: ctx.clientRegion } : {}),
  };
}
