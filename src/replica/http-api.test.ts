// The stand-in replica's OpenAI API over real HTTP, in-process.
import { request } from 'undici';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../core/clock.js';
import { memoryEventSink } from '../record/events.js';
import { createLogger } from '../core/log.js';
import { SseParser } from '../protocol/sse.js';
import { scaledProfile } from './profiles.js';
import { startReplica, type RunningReplica } from './replica-server.js';
import { expectedAnswer } from '../protocol/tokens.js';

let replica: RunningReplica;
const messages = [{ role: 'user', content: 'tell me about quorums' }];

async function post(body: unknown) {
  const res = await request(`${replica.httpUrl}/v1/chat/completions`, { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

function sse(text: string): string[] {
  return new SseParser().push(text);
}

beforeAll(async () => {
  replica = await startReplica({
    id: 'a/p/0',
    region: 'a',
    cluster: 'p',
    host: '127.0.0.1',
    modelName: 'm',
    modelVersion: 'v1',
    profile: scaledProfile('h100-llama3-8b', 0.2, 200),
    seed: 1,
    clock: realClock,
    events: memoryEventSink('replica', realClock),
    log: createLogger('test', undefined, 'silent'),
    exit: () => undefined,
  });
});

afterEach(() => replica.core.faults.clear(''));
afterAll(() => replica.close());

describe('replica HTTP API', () => {
  it('answers 503 while the model loads, then 200 on /health', async () => {
    const early = await request(`${replica.httpUrl}/health`);
    expect(early.statusCode).toBe(503);
    await early.body.dump();
    await replica.ready;
    const ready = await request(`${replica.httpUrl}/health`);
    expect(ready.statusCode).toBe(200);
    await ready.body.dump();
  });

  it('streams the deterministic answer as OpenAI chunks, with usage and [DONE]', async () => {
    const r = await post({ model: 'm', messages, seed: 4, max_tokens: 20, stream: true, stream_options: { include_usage: true } });
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['x-halab-replica']).toBe('a/p/0');
    const events = sse(r.text);
    expect(events.at(-1)).toBe('[DONE]');
    const chunks = events.slice(0, -1).map((e) => JSON.parse(e));
    expect(chunks[0].choices[0].delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta?.content ?? '').join('');
    const expected = expectedAnswer('v1', messages, 4, 20);
    expect(text).toBe(expected.tokens.join(''));
    expect(chunks.find((c) => c.choices[0]?.finish_reason)?.choices[0].finish_reason).toBe(expected.finishReason);
    expect(chunks.at(-1).usage).toMatchObject({ completion_tokens: expected.tokens.length });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.system_fingerprint === 'v1')).toBe(true);
  });

  it('continues an answer from an assistant prefix with exactly the remaining tokens', async () => {
    const full = expectedAnswer('v1', messages, 8, 30);
    const prefix = full.tokens.slice(0, 11).join('');
    const r = await post({ messages: [...messages, { role: 'assistant', content: prefix }], continue_final_message: true, add_generation_prompt: false, seed: 8, max_tokens: 30 - 11 });
    expect(r.status).toBe(200);
    const body = JSON.parse(r.text);
    expect(prefix + body.choices[0].message.content).toBe(full.tokens.join(''));
    expect(body.choices[0].finish_reason).toBe(full.finishReason);
  });

  it('refuses malformed requests and unknown models like vLLM', async () => {
    expect((await post({ messages: [], max_tokens: 5 })).status).toBe(400);
    const neg = await post({ messages, max_tokens: -1 });
    expect(JSON.parse(neg.text).error).toMatchObject({ type: 'invalid_request_error', param: 'max_tokens' });
    const model = await post({ model: 'gpt-x', messages });
    expect(model.status).toBe(404);
    expect(JSON.parse(model.text).error.code).toBe('model_not_found');
  });

  it('exports vLLM metric names', async () => {
    const res = await request(`${replica.httpUrl}/metrics`);
    const text = await res.body.text();
    for (const name of ['vllm:num_requests_running', 'vllm:num_requests_waiting', 'vllm:gpu_cache_usage_perc', 'vllm:time_to_first_token_seconds_bucket', 'vllm:time_per_output_token_seconds_bucket', 'vllm:e2e_request_latency_seconds_count', 'vllm:generation_tokens_total', 'vllm:request_success_total']) {
      expect(text).toContain(name);
    }
    expect(text).toContain('model_name="m"');
  });

  it('fails requests and health on a GPU Xid', async () => {
    replica.core.faults.inject('gpu.xid', 'x');
    const r = await post({ messages });
    expect(r.status).toBe(500);
    expect(r.text).toMatch(/Xid 79/);
    const health = await request(`${replica.httpUrl}/health`);
    expect(health.statusCode).toBe(503);
    await health.body.dump();
  });

  it('cuts streams after N tokens with no finish reason and no [DONE]', async () => {
    replica.core.faults.inject('replica.stream-cut', 'c', { afterTokens: 4 });
    const r = await post({ messages, seed: 2, max_tokens: 40, stream: true }).catch((err: Error) => ({ status: 0, text: err.message, headers: {} }));
    const events = r.status === 200 ? sse(r.text) : [];
    expect(events).not.toContain('[DONE]');
    const tokens = events.map((e) => JSON.parse(e)).filter((c) => c.choices?.[0]?.delta?.content).length;
    expect(tokens).toBeLessThanOrEqual(4);
  });

  it('produces wrong tokens with a corrupt model, and never answers when hung', async () => {
    replica.core.faults.inject('model.corrupt', 'm');
    const wrong = JSON.parse((await post({ messages, seed: 3, max_tokens: 10 })).text).choices[0].message.content;
    expect(wrong).not.toBe(expectedAnswer('v1', messages, 3, 10).tokens.join(''));
    replica.core.faults.clear('');
    replica.core.faults.inject('replica.hang', 'h');
    const controller = new AbortController();
    const pending = request(`${replica.httpUrl}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ messages }), signal: controller.signal });
    const outcome = await Promise.race([pending.then(() => 'answered'), realClock.sleep(400).then(() => 'silent')]);
    controller.abort();
    await pending.catch(() => undefined);
    expect(outcome).toBe('silent');
  });

  it('answers 500 at the injected error rate', async () => {
    replica.core.faults.inject('replica.error-rate', 'e', { probability: 0.5 });
    const statuses = await Promise.all(Array.from({ length: 40 }, () => post({ messages, max_tokens: 2 }).then((r) => r.status)));
    const errors = statuses.filter((s) => s === 500).length;
    expect(errors).toBeGreaterThan(8);
    expect(errors).toBeLessThan(32);
  });
});
