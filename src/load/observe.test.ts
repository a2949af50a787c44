import { describe, expect, it } from 'vitest';
import { answeredBy, applySseData, newObserved } from './observe.js';

describe('who answered, as the client saw it', () => {
  it('takes the model from the chunks and the group and attempt count from the halab field', () => {
    const o = newObserved();
    applySseData(o, JSON.stringify({ model: 'alt', choices: [{ delta: { content: 'hi' } }] }), () => undefined);
    expect(answeredBy(o)).toEqual({ model: 'alt' });
    const halab = { replicas: ['r/p/0', 'r/f/0'], resumes: 0, model: 'alt', group: 'f', attempts: [{ replica: 'r/p/0', group: 'p', outcome: 'status' }, { replica: 'r/f/0', group: 'f', outcome: 'done' }] };
    applySseData(o, JSON.stringify({ model: 'alt', choices: [{ delta: {}, finish_reason: 'stop' }], halab }), () => undefined);
    expect(answeredBy(o)).toEqual({ model: 'alt', group: 'f', attempts: 2 });
    expect(answeredBy(newObserved())).toEqual({});
  });
});
