import { describe, expect, it } from 'vitest';
import { TokenChunks } from './openai-sinks.js';
import { sseData } from '../../protocol/sse.js';

describe('TokenChunks', () => {
  it('writes byte for byte the chunk the object form would, for any token, model and version', () => {
    const chunks = new TokenChunks('chatcmpl-abc', 1700000000);
    for (const [model, version] of [['m', 'v1'], ['m', undefined], ['other', 'v2'], ['m', ''], ['m', 'v1']] as const) {
      for (const text of [' the', ' "q"', ' é✓', ' \\', ' \n', ' 😀']) {
        const want = sseData({ id: 'chatcmpl-abc', object: 'chat.completion.chunk', created: 1700000000, model, system_fingerprint: version ?? null, choices: [{ index: 0, delta: { content: text }, finish_reason: null }] });
        expect(chunks.chunk(model, version, Buffer.from(JSON.stringify(text))).toString('utf8')).toBe(want);
      }
    }
  });

  it('forwards an upstream literal unchanged (its escapes kept)', () => {
    const out = new TokenChunks('c', 1).chunk('m', 'v', Buffer.from('" \\u00e9"')).toString('utf8');
    expect(out).toContain('"delta":{"content":" \\u00e9"}');
    expect(JSON.parse(out.slice(6)).choices[0].delta.content).toBe(' é');
  });
});
