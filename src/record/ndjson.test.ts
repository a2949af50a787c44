import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HalabError } from '../core/errors.js';
import { parseNdjson } from './ndjson.js';
import { formatRecords, readEvents, readRecords } from './record-io.js';
import { requestRecordSchema } from './record-schemas.js';
import type { RequestRecord } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'halab-ndjson-'));
const record = (i: number): RequestRecord => ({ id: `r${i}`, startMs: 1000 + i, endMs: 1100 + i, streaming: true, tokens: 4, outcome: 'ok', correct: true, replicas: ['a/p/0'], resumes: 0 });
const line = (i: number): string => JSON.stringify(record(i));

function file(name: string, text: string): string {
  const f = join(dir, name);
  writeFileSync(f, text);
  return f;
}

function damage(fn: () => unknown): HalabError {
  try {
    fn();
  } catch (err) {
    if (err instanceof HalabError) return err;
    throw err;
  }
  throw new Error('no error thrown');
}

describe('the ndjson reader', () => {
  it('reads back what formatRecords wrote, each line stamped with v: 1', () => {
    const text = formatRecords([record(0), record(1)]);
    expect(text.split('\n').filter(Boolean).every((l) => JSON.parse(l).v === 1)).toBe(true);
    const read = readRecords(file('good.ndjson', text));
    expect(read).toEqual({ records: [{ v: 1, ...record(0) }, { v: 1, ...record(1) }] });
  });

  it('accepts lines without a schema version (version 1) and blank lines', () => {
    expect(readRecords(file('old.ndjson', `${line(0)}\n\n${line(1)}\n`)).records).toEqual([record(0), record(1)]);
  });

  it('refuses a schema version it does not know, naming file and line', () => {
    const f = file('newer.ndjson', `${line(0)}\n${JSON.stringify({ ...record(1), v: 2 })}\n`);
    const err = damage(() => readRecords(f));
    expect(err.message).toMatch(new RegExp(`^${f}:2: damaged record: v: record schema version must be 1`));
  });

  it('leaves out a torn last line (cut mid-write) and reports it', () => {
    const cut = line(2).slice(0, 25);
    const read = readRecords(file('torn.ndjson', `${line(0)}\n${line(1)}\n${cut}`));
    expect(read.records).toHaveLength(2);
    expect(read.torn).toEqual({ file: join(dir, 'torn.ndjson'), line: 3, bytes: 25 });
    // a torn line followed only by blank lines is still the last one
    expect(parseNdjson(`${line(0)}\n${cut}\n\n`, 'x', requestRecordSchema).torn?.line).toBe(2);
  });

  it('throws RECORD_CORRUPT (exit 2) naming file and line for a damaged line before the end', () => {
    const f = file('damaged.ndjson', `${line(0)}\n{"id": "r1", "start\n${line(2)}\n`);
    const err = damage(() => readRecords(f));
    expect(err.code).toBe('RECORD_CORRUPT');
    expect(err.exitCode).toBe(2);
    expect(err.message).toMatch(new RegExp(`^${f}:2: damaged record: not JSON`));
  });

  it('throws for a last line that is JSON of the wrong shape: that is no torn write', () => {
    const f = file('shape.ndjson', `${line(0)}\n{"id":"r1","outcome":"maybe"}\n`);
    expect(damage(() => readRecords(f)).message).toMatch(new RegExp(`^${f}:2: damaged record: `));
  });

  it("with torn: 'any' skips torn lines anywhere (a killed process's file appended to after restart)", () => {
    const ev = (at: number) => JSON.stringify({ atMs: at, source: 'controlplane', type: 'health.healthy', subject: 'a/p/0' });
    const seen: number[] = [];
    const read = readEvents(file('events.ndjson', `${ev(1)}\n${ev(2).slice(0, 10)}${ev(3)}\n${ev(4)}\n`), { torn: 'any', onTorn: (t) => seen.push(t.line) });
    expect(read.records.map((e) => e.atMs)).toEqual([1, 4]);
    expect(seen).toEqual([2]);
  });
});
