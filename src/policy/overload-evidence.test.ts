import { describe, expect, it } from 'vitest';
import { ejectsOnFailure } from './overload-evidence.js';

describe('ejectsOnFailure', () => {
  it('never ejects for a 429 or a 503 before any token', () => {
    expect(ejectsOnFailure({ failure: 'overload', status: 429 }, undefined, 2000)).toBe(false);
    expect(ejectsOnFailure({ failure: 'status', status: 503 }, undefined, 2000)).toBe(false);
    expect(ejectsOnFailure({ failure: 'status', status: 500 }, 10, 2000)).toBe(true);
  });
  it('a first-token timeout ejects only a route that answered nobody within the window', () => {
    expect(ejectsOnFailure({ failure: 'timeout' }, 300, 2000)).toBe(false);
    expect(ejectsOnFailure({ failure: 'timeout' }, 2500, 2000)).toBe(true);
    expect(ejectsOnFailure({ failure: 'timeout' }, undefined, 2000)).toBe(true);
  });
  it('connection errors, resets, stalls and cuts always eject', () => {
    for (const failure of ['connect', 'reset', 'stall', 'cut', 'malformed']) expect(ejectsOnFailure({ failure }, 1, 2000)).toBe(true);
  });
});
