import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { knownAnswersFile, readKnownAnswers, writeKnownAnswers } from './known-answers.js';

describe('the known answers of llama.cpp replicas', () => {
  it('round-trips, is absent without a file, and names a damaged file with exit 2', () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-ka-'));
    expect(readKnownAnswers(dir)).toBeUndefined();
    writeKnownAnswers(dir, { versions: { v1: 'a b', v2: 'c d' }, corrupt: 'c d', computedAtMs: 1 });
    expect(readKnownAnswers(dir)).toEqual({ versions: { v1: 'a b', v2: 'c d' }, corrupt: 'c d', computedAtMs: 1 });
    writeFileSync(knownAnswersFile(dir), '{"versions":');
    let err: unknown;
    try {
      readKnownAnswers(dir);
    } catch (e) {
      err = e;
    }
    expect((err as Error).message).toMatch(/known-answers.json: not a known-answers file/);
    expect((err as { exitCode: number }).exitCode).toBe(2);
  });
});
