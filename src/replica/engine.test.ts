import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { Engine, EngineOverloadError, SequenceTooLongError } from './engine.js';
import type { EngineProfile } from './profiles.js';

const profile: EngineProfile = {
  name: 'test',
  prefillMsPerToken: 0.1,
  decodeBaseMs: 10,
  decodeMsPerSeq: 1,
  maxRunningSeqs: 2,
  kvCapacityTokens: 1000,
  waitingQueueMax: 2,
  maxModelLenTokens: 8192,
  modelLoadMs: 0,
};

function seq(id: string, newTokens: number, log: string[], prefillTokens = 10) {
  return {
    id,
    prefillTokens,
    newTokens,
    onToken: (i: number) => log.push(`${id}:${i}`),
    onDone: () => log.push(`${id}:done`),
    onError: (e: Error) => log.push(`${id}:error:${e.message}`),
  };
}

describe('Engine', () => {
  it('costs prefill plus decode for the first token, then decode per step', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const engine = new Engine(profile, clock);
    engine.submit(seq('a', 3, log, 100));
    clock.advanceTo(19.9);
    expect(log).toEqual([]);
    clock.advanceTo(20); // 100 × 0.1 prefill + 10 decode
    expect(log).toEqual(['a:0']);
    clock.advanceTo(40);
    expect(log).toEqual(['a:0', 'a:1', 'a:2', 'a:done']);
    expect(engine.busy()).toBe(false);
    expect(clock.pending()).toBe(0);
  });

  it('joins waiting sequences at the next step, caps the batch, and decodes slower with a bigger batch', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const engine = new Engine(profile, clock);
    engine.submit(seq('a', 2, log, 0));
    engine.submit(seq('b', 2, log, 0));
    engine.submit(seq('c', 1, log, 0));
    expect(engine.stats()).toMatchObject({ running: 1, waiting: 2 }); // a's step is under way
    clock.advanceTo(10); // a alone: 10
    expect(log).toEqual(['a:0']);
    expect(engine.stats()).toMatchObject({ running: 2, waiting: 1 }); // b joined; c waits (max 2)
    clock.advanceTo(21); // batch of 2: 10 + 1
    expect(log).toEqual(['a:0', 'a:1', 'a:done', 'b:0']);
    clock.advanceTo(32); // b and c: 11
    expect(log.slice(4)).toEqual(['b:1', 'b:done', 'c:0', 'c:done']);
    expect(engine.busy()).toBe(false);
  });

  it('bounds the KV cache and the waiting queue', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const engine = new Engine(profile, clock);
    expect(() => engine.submit(seq('huge', 2000, log))).toThrow(SequenceTooLongError);
    engine.submit(seq('a', 600, log, 0));
    engine.submit(seq('b', 600, log, 0)); // does not fit next to a
    engine.submit(seq('c', 1, log, 0));
    expect(() => engine.submit(seq('d', 1, log, 0))).toThrow(EngineOverloadError);
    clock.advanceTo(10);
    expect(engine.stats().running).toBe(1);
    expect(engine.stats().kvUsage).toBeCloseTo(0.6);
  });

  it('fails every sequence on a GPU error and goes idle', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const engine = new Engine(profile, clock);
    engine.submit(seq('a', 5, log));
    clock.advanceTo(15);
    engine.failAll(new Error('xid 79'));
    expect(log).toEqual(['a:0', 'a:error:xid 79']);
    expect(engine.busy()).toBe(false);
  });

  it('slows every step by the slow factor', () => {
    const clock = new VirtualClock();
    const log: string[] = [];
    const engine = new Engine(profile, clock, () => 3);
    engine.submit(seq('a', 1, log, 0));
    clock.advanceTo(29);
    expect(log).toEqual([]);
    clock.advanceTo(30);
    expect(log).toEqual(['a:0', 'a:done']);
  });
});
