import { describe, expect, it } from 'vitest';
import { sseData } from '../protocol/sse.js';
import { expectedAnswer } from '../protocol/tokens.js';
import { K6_RECORD_PREFIX, K6_REQUEST_TIMEOUT_CODE, k6ToRequestRecord, parseK6Line, type K6RawRecord } from './k6-records.js';
import { promptFor, seedFor } from '../protocol/prompts.js';

const ctx = { seed: 3, promptTokens: 16, maxTokens: 24, streaming: true, timeoutMs: 5000 };

/** The answer request `index` should get, as the gateway streams it (openai-sinks.ts shape). */
function streamBody(index: number, opts: { cutAfter?: number; wrong?: boolean; error?: boolean; replicas?: string[]; resumes?: number } = {}): string {
  const exp = expectedAnswer('v1', promptFor(ctx.seed, index, ctx.promptTokens), seedFor(ctx.seed, index), ctx.maxTokens);
  const chunk = (delta: object, finish: string | null, extra: object = {}) =>
    sseData({ id: 'c1', object: 'chat.completion.chunk', system_fingerprint: 'v1', choices: [{ index: 0, delta, finish_reason: finish }], ...extra });
  const tokens = opts.wrong ? exp.tokens.map((t, i) => (i === 2 ? ' wrong' : t)) : exp.tokens;
  const sent = tokens.slice(0, opts.cutAfter ?? tokens.length);
  let body = chunk({ role: 'assistant', content: '' }, null) + sent.map((t) => chunk({ content: t }, null)).join('');
  if (opts.error) return body + sseData({ error: { message: 'replica lost', type: 'server_error' }, halab: { replicas: opts.replicas ?? ['a'], resumes: 0 } });
  if (opts.cutAfter !== undefined) return body;
  body += chunk({}, exp.finishReason, { halab: { replicas: opts.replicas ?? ['us-east-1/primary/0'], resumes: opts.resumes ?? 0, region: 'us-east-1' } });
  return body + sseData('[DONE]');
}

function raw(index: number, over: Partial<K6RawRecord> = {}): K6RawRecord {
  return { index, startMs: 1000, firstByteMs: 1040, endMs: 1300, status: 200, errorCode: 0, replica: 'us-east-1/primary/0', body: streamBody(index), ...over };
}

describe('k6 output lines', () => {
  it('finds records by their prefix and ignores k6 log lines', () => {
    const r = raw(4);
    expect(parseK6Line(K6_RECORD_PREFIX + JSON.stringify(r))).toEqual(r);
    expect(parseK6Line('time="..." level=warning msg="Insufficient VUs"')).toBeUndefined();
    expect(parseK6Line('')).toBeUndefined();
  });

  it('refuses a prefixed line that is not a record', () => {
    expect(() => parseK6Line(K6_RECORD_PREFIX + '{"index": 1')).toThrow(/malformed k6 record/);
    expect(() => parseK6Line(K6_RECORD_PREFIX + '{"index": 1, "startMs": 2}')).toThrow(/lacks/);
  });
});

describe('k6 records → request records', () => {
  it('a complete correct stream is ok and correct, first token at the first byte', () => {
    const rec = k6ToRequestRecord(raw(7), ctx);
    const expected = expectedAnswer('v1', promptFor(3, 7, 16), seedFor(3, 7), 24).tokens.length;
    expect(rec).toMatchObject({ id: 'r7', startMs: 1000, firstTokenMs: 1040, endMs: 1300, outcome: 'ok', correct: true, status: 200, tokens: expected, expectedTokens: expected, modelVersion: 'v1' });
    expect(rec.replicas).toEqual(['us-east-1/primary/0']);
    expect(rec.tokenGapsMs).toBeUndefined(); // k6 cannot see token gaps
  });

  it('takes the replicas and resumes from the final chunk', () => {
    const rec = k6ToRequestRecord(raw(2, { body: streamBody(2, { replicas: ['r/p/0', 'r/p/1'], resumes: 1 }) }), ctx);
    expect(rec).toMatchObject({ outcome: 'ok', correct: true, resumes: 1, replicas: ['r/p/0', 'r/p/1'] });
  });

  it('a stream cut without a finish reason is truncated', () => {
    const rec = k6ToRequestRecord(raw(1, { body: streamBody(1, { cutAfter: 3 }) }), ctx);
    expect(rec).toMatchObject({ outcome: 'truncated', tokens: 3, correct: null });
  });

  it('an in-band error event is failed', () => {
    const rec = k6ToRequestRecord(raw(1, { body: streamBody(1, { cutAfter: 2, error: true }) }), ctx);
    expect(rec.outcome).toBe('failed');
    expect(rec.reason).toMatch(/in-band error: replica lost/);
  });

  it('a different text is ok but not correct', () => {
    expect(k6ToRequestRecord(raw(5, { body: streamBody(5, { wrong: true }) }), ctx)).toMatchObject({ outcome: 'ok', correct: false });
  });

  it('an error status is failed with no first token', () => {
    const rec = k6ToRequestRecord(raw(0, { status: 503, body: '{"error":{"message":"no replica"}}' }), ctx);
    expect(rec).toMatchObject({ outcome: 'failed', status: 503, tokens: 0 });
    expect(rec.firstTokenMs).toBeUndefined();
    expect(rec.reason).toMatch(/^status 503: .*no replica/);
  });

  it('k6 request timeout (1050) is a timeout; other k6 errors without a response are connection errors', () => {
    const t = k6ToRequestRecord(raw(0, { status: 0, errorCode: K6_REQUEST_TIMEOUT_CODE, error: 'request timeout', body: '', firstByteMs: undefined }), ctx);
    expect(t).toMatchObject({ outcome: 'timeout', reason: 'no end within 5000ms' });
    expect(t.status).toBeUndefined();
    const c = k6ToRequestRecord(raw(0, { status: 0, errorCode: 1212, error: 'connection refused', body: '' }), ctx);
    expect(c).toMatchObject({ outcome: 'failed', reason: 'connection error: connection refused' });
  });

  it('a 200 whose body broke off with a k6 error is failed, like the built-in driver', () => {
    const rec = k6ToRequestRecord(raw(1, { errorCode: 1220, error: 'connection reset by peer', body: streamBody(1, { cutAfter: 4 }) }), ctx);
    expect(rec).toMatchObject({ outcome: 'failed', tokens: 4 });
  });

  it('non-streaming bodies are judged from the whole message', () => {
    const exp = expectedAnswer('v1', promptFor(3, 9, 16), seedFor(3, 9), 24);
    const body = JSON.stringify({ system_fingerprint: 'v1', choices: [{ index: 0, message: { role: 'assistant', content: exp.tokens.join('') }, finish_reason: exp.finishReason }], halab: { replicas: ['x/y/1'], resumes: 0 } });
    const rec = k6ToRequestRecord(raw(9, { body }), { ...ctx, streaming: false });
    expect(rec).toMatchObject({ outcome: 'ok', correct: true, streaming: false, replicas: ['x/y/1'], tokens: exp.tokens.length });
  });
});
