import { describe, expect, it } from 'vitest';
import { ReplayCheck } from './replay-check.js';

describe('replay check', () => {
  it('holds the sent prefix back and forwards only what follows, whatever the token boundaries', () => {
    const c = new ReplayCheck(' a b c');
    expect(c.accept(' a')).toEqual({ kind: 'hold' });
    expect(c.accept(' b c d')).toEqual({ kind: 'forward', text: ' d' });
    expect(c.complete).toBe(true);
    expect(c.accept(' e')).toEqual({ kind: 'forward', text: ' e' });
  });

  it('catches up exactly at a boundary, and an empty prefix forwards everything', () => {
    const c = new ReplayCheck(' a');
    expect(c.accept(' a')).toEqual({ kind: 'hold' });
    expect(c.complete).toBe(true);
    expect(new ReplayCheck('').accept(' x')).toEqual({ kind: 'forward', text: ' x' });
  });

  it('reports a divergence at the first differing character', () => {
    const c = new ReplayCheck(' a b');
    expect(c.accept(' a')).toEqual({ kind: 'hold' });
    expect(c.accept(' c')).toEqual({ kind: 'diverged' });
    expect(new ReplayCheck(' abc').accept(' abd')).toEqual({ kind: 'diverged' });
    expect(new ReplayCheck(' a').complete).toBe(false);
  });
});
