import { describe, expect, it } from 'vitest';
import { upstreamPayload } from './completion.js';

const req = { model: 'm', messages: [{ role: 'user' as const, content: 'q' }], max_tokens: 40, seed: 3, stream: false };

describe('upstreamPayload', () => {
  it('always streams from upstream, asking for usage', () => {
    expect(upstreamPayload(req, '', 0)).toEqual({ ...req, stream: true, stream_options: { include_usage: true }, max_tokens: 40 });
  });

  it('resumes by assistant prefill with the remaining token budget', () => {
    const p = upstreamPayload({ ...req, max_tokens: undefined, max_completion_tokens: 40 }, ' a b c', 3);
    expect(p.messages).toEqual([...req.messages, { role: 'assistant', content: ' a b c' }]);
    expect(p).toMatchObject({ continue_final_message: true, add_generation_prompt: false, max_tokens: 37, seed: 3 });
    expect(p).not.toHaveProperty('max_completion_tokens');
  });

  it('leaves the budget open when the client set none', () => {
    const { max_tokens: _m, ...open } = req;
    expect(upstreamPayload(open, ' a', 1)).not.toHaveProperty('max_tokens');
  });

  it('extends the assistant prefix of a request that is itself a continuation (resumed by the GLB)', () => {
    const cont = { ...req, messages: [...req.messages, { role: 'assistant' as const, content: ' a b' }], continue_final_message: true, max_tokens: 38 };
    const p = upstreamPayload(cont, ' c d', 2);
    expect(p.messages).toEqual([...req.messages, { role: 'assistant', content: ' a b c d' }]);
    expect(p).toMatchObject({ continue_final_message: true, max_tokens: 36 });
  });
});
