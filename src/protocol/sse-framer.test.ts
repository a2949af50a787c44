import { describe, expect, it } from 'vitest';
import { isDoneData, SseFramer } from './sse-framer.js';
import { SseParser, sseData } from './sse.js';
import { createRng } from '../core/rng.js';

const texts = (bufs: Buffer[]): string[] => bufs.map((b) => b.toString('utf8'));

describe('SseFramer', () => {
  it('reassembles events split across chunks and lines, CRLF included', () => {
    const f = new SseFramer();
    expect(texts(f.push(Buffer.from('data: {"a"')))).toEqual([]);
    expect(texts(f.push(Buffer.from(':1}\n')))).toEqual([]);
    expect(texts(f.push(Buffer.from('\ndata: [DONE]\r\n\r\n')))).toEqual(['{"a":1}', '[DONE]']);
  });

  it('skips comments and other fields, joins multi-line data', () => {
    const f = new SseFramer();
    expect(texts(f.push(Buffer.from(': keepalive\n\nevent: x\ndata: x\ndata:y\n\n')))).toEqual(['x\ny']);
  });

  it('hands over an unterminated event when flushed (a cut stream)', () => {
    const f = new SseFramer();
    expect(texts(f.push(Buffer.from('data: {"choices":[{"index":0,"delta":{"content":')))).toEqual([]);
    expect(texts(f.flush())).toEqual(['{"choices":[{"index":0,"delta":{"content":']);
  });

  it('keeps no view into a chunk the caller may reuse', () => {
    const f = new SseFramer();
    const chunk = Buffer.from('data: abc\n');
    f.push(chunk);
    chunk.fill(0x7a);
    expect(texts(f.push(Buffer.from('\n')))).toEqual(['abc']);
  });

  it('splits a multi-byte character across chunks without damage', () => {
    const f = new SseFramer();
    const whole = Buffer.from(sseData({ content: 'héllo ✓' }));
    const cut = whole.indexOf(0xc3) + 1;
    expect(f.push(whole.subarray(0, cut))).toEqual([]);
    expect(texts(f.push(whole.subarray(cut)))).toEqual(['{"content":"héllo ✓"}']);
  });

  it('frames like the text parser for any split of a stream', () => {
    const stream = Buffer.from([sseData({ a: 'x' }), ': c\n\n', sseData({ b: ['é', 2] }), 'data: 1\ndata: 2\n\n', sseData('[DONE]')].join(''));
    const rng = createRng(7);
    for (let round = 0; round < 200; round++) {
      const f = new SseFramer();
      const p = new SseParser();
      const got: string[] = [];
      const want: string[] = [];
      let at = 0;
      while (at < stream.length) {
        const next = Math.min(stream.length, at + 1 + Math.floor(rng.next() * 12));
        got.push(...texts(f.push(stream.subarray(at, next))));
        at = next;
      }
      want.push(...p.push(stream.toString('utf8')));
      expect(got).toEqual(want);
    }
  });

  it('recognises [DONE]', () => {
    expect(isDoneData(Buffer.from('[DONE]'))).toBe(true);
    expect(isDoneData(Buffer.from('[DONE] '))).toBe(false);
  });
});
