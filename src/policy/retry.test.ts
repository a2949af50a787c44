import { describe, expect, it } from 'vitest';
import type { UpstreamGroup } from '../config/model-routes.js';
import { classifyClientError, continuationMode, errorReason, failureDecision } from './retry.js';

const group = (over: Partial<UpstreamGroup>): UpstreamGroup => ({ name: 'g', clusters: new Set(['r/c']), model: 'm', assistantPrefill: false, deterministic: false, ...over });
const seeded = { messages: [{ role: 'user' as const, content: 'x' }], seed: 1, temperature: 0 };

describe('retry policy', () => {
  it('classifies 4xx bodies of vLLM, OpenAI and TGI', () => {
    expect(classifyClientError(400, JSON.stringify({ error: { message: "This model's maximum context length is 4096 tokens", code: 'context_length_exceeded' } }))).toBe('context-length');
    expect(classifyClientError(422, 'Input validation error: `inputs` tokens + `max_new_tokens` must be <= 4096')).toBe('context-length');
    expect(classifyClientError(400, JSON.stringify({ error: { code: 'content_filter', message: 'flagged' } }))).toBe('content-policy');
    expect(classifyClientError(400, JSON.stringify({ error: { message: 'temperature: must be <= 2' } }))).toBe('other');
    expect(classifyClientError(401, 'maximum context length')).toBe('other');
  });

  it('extracts the reason of an error body', () => {
    expect(errorReason('{"error":{"message":"boom"}}')).toBe('boom');
    expect(errorReason('{"error":"flat"}')).toBe('flat');
    expect(errorReason('plain text')).toBe('plain text');
  });

  it('retries 5xx and resets on the same upstream once, never a silent or broken one', () => {
    expect(failureDecision('status')).toEqual({ retrySame: true, ejectNow: false });
    expect(failureDecision('reset')).toEqual({ retrySame: true, ejectNow: false });
    for (const k of ['timeout', 'stall', 'cut', 'malformed', 'connect'] as const) expect(failureDecision(k)).toEqual({ retrySame: false, ejectNow: true });
    expect(failureDecision('overload').ejectNow).toBe(false);
  });

  it('continues an answer by replay on a deterministic group for seeded temperature-0 requests, else by prefill, else not at all', () => {
    expect(continuationMode(group({}), seeded, 0, new Set())).toBe('fresh');
    expect(continuationMode(group({ deterministic: true, assistantPrefill: true }), seeded, 5, new Set())).toBe('replay');
    expect(continuationMode(group({ deterministic: true, assistantPrefill: true }), { ...seeded, temperature: 0.7 }, 5, new Set())).toBe('prefill');
    expect(continuationMode(group({ deterministic: true }), { messages: seeded.messages }, 5, new Set())).toBeUndefined();
    expect(continuationMode(group({ deterministic: true, assistantPrefill: true }), seeded, 5, new Set(['g:replay']))).toBe('prefill');
    expect(continuationMode(group({ assistantPrefill: true }), seeded, 5, new Set(['g:prefill']))).toBeUndefined();
  });
});
