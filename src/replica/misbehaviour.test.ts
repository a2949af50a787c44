import { describe, expect, it } from 'vitest';
import { MisbehaviourState, parseMisbehaviour } from './misbehaviour.js';

describe('misbehaviour state', () => {
  it('applies a mode to `count` requests, then behaves', () => {
    const s = new MisbehaviourState();
    s.set({ mode: 'server-error', count: 2 }, 0);
    expect([s.take(1)?.mode, s.take(2)?.mode, s.take(3)?.mode]).toEqual(['server-error', 'server-error', undefined]);
    expect(s.describe(4)).toMatchObject({ mode: 'ok', served: { 'server-error': 2, ok: 1 } });
  });

  it('lasts `forMs`, and `down` covers every connection meanwhile', () => {
    const s = new MisbehaviourState();
    s.set({ mode: 'down', forMs: 100 }, 1000);
    expect(s.down(1050)).toBe(true);
    expect(s.down(1100)).toBe(false);
    s.set({ mode: 'stall' }, 0);
    s.clear();
    expect(s.current(0)).toBeUndefined();
  });

  it('rejects unknown modes and bad fields, naming them', () => {
    expect(() => parseMisbehaviour({ mode: 'explode' })).toThrow(/mode: .*known modes: ok, rate-limit/);
    expect(() => parseMisbehaviour({ mode: 'server-error', status: 404 })).toThrow(/status/);
    expect(() => parseMisbehaviour({ mode: 'cut', extra: 1 })).toThrow(/extra|Unrecognized/);
  });
});
