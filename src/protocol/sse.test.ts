import { describe, expect, it } from 'vitest';
import { SseParser, sseData } from './sse.js';

describe('SseParser', () => {
  it('reassembles events split across chunks and lines', () => {
    const p = new SseParser();
    expect(p.push('data: {"a"')).toEqual([]);
    expect(p.push(':1}\n')).toEqual([]);
    expect(p.push('\ndata: [DONE]\r\n\r\n')).toEqual(['{"a":1}', '[DONE]']);
  });

  it('ignores comments and keeps multi-line data', () => {
    const p = new SseParser();
    expect(p.push(': keepalive\n\ndata: x\ndata: y\n\n')).toEqual(['x\ny']);
  });

  it('formats events', () => {
    expect(sseData({ a: 1 })).toBe('data: {"a":1}\n\n');
    expect(new SseParser().push(sseData('[DONE]'))).toEqual(['[DONE]']);
  });
});
