import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../record/records.js';
import { answersByGroup, returnAfterHealMs } from './answered-by.js';

const rec = (startMs: number, replica: string, group: string | undefined, outcome: RequestRecord['outcome'] = 'ok'): RequestRecord => ({
  id: `r${startMs}`,
  startMs,
  endMs: startMs + 100,
  streaming: true,
  tokens: 4,
  outcome,
  correct: true,
  replicas: [replica],
  resumes: 0,
  ...(group ? { group, model: `${group}-model` } : {}),
});

describe('who answered', () => {
  it('shares available answers by group; failed requests and unreported groups kept apart', () => {
    const shares = answersByGroup([rec(0, 'r/p/0', 'primary'), rec(1, 'r/h/0', 'hosted'), rec(2, 'r/h/0', 'hosted'), rec(3, 'r/p/0', 'primary', 'failed'), rec(4, 'r/p/0', undefined)]);
    expect(shares).toEqual([
      { group: 'hosted', model: 'hosted-model', answers: 2, share: 0.5 },
      { group: 'primary', model: 'primary-model', answers: 1, share: 0.25 },
      { group: 'unreported', answers: 1, share: 0.25 },
    ]);
  });

  it('measures heal → the first available answer served by the faulted target again', () => {
    const w = { id: 'f', kind: 'cluster.outage', target: 'r/p', replicas: [], injectedAtMs: 0, healedAtMs: 1000 };
    const records = [rec(500, 'r/h/0', 'hosted'), rec(1200, 'r/h/0', 'hosted'), rec(1900, 'r/p/1', 'primary', 'failed'), rec(2400.4, 'r/p/1', 'primary')];
    expect(returnAfterHealMs(w, records)).toBe(1400);
    expect(returnAfterHealMs({ ...w, target: 'r/q' }, records)).toBeNull();
    expect(returnAfterHealMs({ ...w, healedAtMs: null }, records)).toBeUndefined();
  });
});
