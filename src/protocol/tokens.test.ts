import { describe, expect, it } from 'vitest';
import { ANSWER_MAX_TOKENS, ANSWER_MIN_TOKENS, answerPlan, countTokens, expectedAnswer, promptKey, tokenAt, corruptVersion } from './tokens.js';

const messages = [{ role: 'user', content: 'what is failover?' }];

describe('deterministic token model', () => {
  it('gives the same answer for the same (version, prompt, seed)', () => {
    expect(expectedAnswer('v1', messages, 5, 64)).toEqual(expectedAnswer('v1', messages, 5, 64));
  });

  it('changes with the version, the prompt and the seed', () => {
    const base = expectedAnswer('v1', messages, 5, 200).tokens.join('');
    expect(expectedAnswer('v2', messages, 5, 200).tokens.join('')).not.toBe(base);
    expect(expectedAnswer('v1', [{ role: 'user', content: 'other' }], 5, 200).tokens.join('')).not.toBe(base);
    expect(expectedAnswer('v1', messages, 6, 200).tokens.join('')).not.toBe(base);
    expect(expectedAnswer(corruptVersion('v1'), messages, 5, 200).tokens.join('')).not.toBe(base);
  });

  it('continues from position N with exactly the uninterrupted tokens', () => {
    const key = promptKey(messages);
    const full = expectedAnswer('v1', messages, 9, 64);
    const n = 7;
    const rest: string[] = [];
    const plan = answerPlan('v1', key, 9, n + (64 - n)); // a continuation asks for the remaining tokens
    for (let i = n; i < plan.length; i++) rest.push(tokenAt('v1', key, 9, i));
    expect(full.tokens.slice(0, n).join('') + rest.join('')).toBe(full.tokens.join(''));
    expect(plan.finishReason).toBe(full.finishReason);
  });

  it('has a natural length independent of max_tokens, capped by it', () => {
    const key = promptKey(messages);
    const natural = answerPlan('v1', key, 1, undefined);
    expect(natural.length).toBeGreaterThanOrEqual(ANSWER_MIN_TOKENS);
    expect(natural.length).toBeLessThanOrEqual(ANSWER_MAX_TOKENS);
    expect(natural.finishReason).toBe('stop');
    expect(answerPlan('v1', key, 1, natural.length - 1)).toEqual({ length: natural.length - 1, finishReason: 'length' });
    expect(answerPlan('v1', key, 1, natural.length + 50)).toEqual(natural);
  });

  it('splits text back into tokens', () => {
    const { tokens } = expectedAnswer('v1', messages, 3, 40);
    expect(countTokens(tokens.join(''))).toBe(tokens.length);
    expect(tokens.every((t) => /^ [a-z]+$/.test(t))).toBe(true);
  });
});
