import { describe, expect, it } from 'vitest';
import { scanTokenEvent } from './sse-token.js';

const replicaChunk = (content: unknown, extra: Record<string, unknown> = {}, finish: string | null = null): Buffer =>
  Buffer.from(JSON.stringify({ id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: 'm', system_fingerprint: 'v1', choices: [{ index: 0, delta: { content }, logprobs: null, finish_reason: finish }], ...extra }));

describe('scanTokenEvent', () => {
  it('reads a token chunk: literal bytes, text, version and model', () => {
    const t = scanTokenEvent(replicaChunk(' the'))!;
    expect(t.literal.toString()).toBe('" the"');
    expect(t).toMatchObject({ text: ' the', fingerprint: 'v1', model: 'm' });
  });

  it('decodes escapes and non-ASCII text, keeping the literal as sent', () => {
    for (const content of [' "quoted"', ' back\\slash', ' tab\there', ' é✓', ' \u2028', ' 😀']) {
      const t = scanTokenEvent(replicaChunk(content))!;
      expect(t.text).toBe(content);
      expect(JSON.parse(t.literal.toString())).toBe(content);
    }
    const escapedUnicode = Buffer.from('{"id":"c","object":"chat.completion.chunk","created":1,"model":"m","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":" \\u00e9"},"finish_reason":null}]}');
    expect(scanTokenEvent(escapedUnicode)).toMatchObject({ text: ' é', fingerprint: undefined });
  });

  it('leaves another key order (llama.cpp) to the full parser', () => {
    const b = Buffer.from('{"choices":[{"finish_reason":null,"index":0,"delta":{"content":" x"}}],"created":1,"id":"c","model":"gpt","system_fingerprint":"b5000","object":"chat.completion.chunk"}');
    expect(scanTokenEvent(b)).toBeUndefined();
  });

  it('reads the gateway\'s own chunks (what the GLB receives), and tokens that look like keys', () => {
    const own = Buffer.from('{"id":"chatcmpl-9","object":"chat.completion.chunk","created":5,"model":"m","system_fingerprint":"v2","choices":[{"index":0,"delta":{"content":"logprobs"},"finish_reason":null}]}');
    const t = scanTokenEvent(own)!;
    expect(t).toMatchObject({ text: 'logprobs', fingerprint: 'v2', model: 'm' });
    expect(t.literal.toString()).toBe('"logprobs"');
  });

  it('leaves every other event to the full parser', () => {
    const others = [
      replicaChunk(''),
      replicaChunk(' x', {}, 'stop'),
      replicaChunk(' x', { usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }),
      replicaChunk(' x', { halab: { replicas: ['r'] } }),
      replicaChunk(' x', { error: { message: 'boom' } }),
      Buffer.from(JSON.stringify({ choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] })),
      Buffer.from(JSON.stringify({ choices: [{ index: 0, delta: { content: ' a' }, finish_reason: null }, { index: 1, delta: { content: ' b' }, finish_reason: null }] })),
      Buffer.from('{"choices":[{"index":0,"delta":{"content":'), // cut mid-event
      Buffer.from('{"choices":[{"index":0,"delta":{"content":" x"},"finish_reason":null}]'), // unbalanced
      Buffer.from('{"choices":[{"index":0,"delta":{"content":" x\u0001"},"finish_reason":null}]}'), // raw control character
      Buffer.concat([Buffer.from('{"choices":[{"index":0,"delta":{"content":" '), Buffer.from([0xff, 0xfe]), Buffer.from('"},"finish_reason":null}]}')]), // not UTF-8
      Buffer.from('{"id":"c","object":"chat.completion.chunk","created":1,"model":"a\\"b","system_fingerprint":null,"choices":[{"index":0,"delta":{"content":" x"},"finish_reason":null}]}'),
      Buffer.from('[DONE]'),
    ];
    for (const b of others) expect(scanTokenEvent(b), b.toString()).toBeUndefined();
  });

  it('is not fooled by field names inside the token', () => {
    const t = scanTokenEvent(replicaChunk(' "finish_reason":"stop","usage":{"halab"'))!;
    expect(t.text).toBe(' "finish_reason":"stop","usage":{"halab"');
  });
});
