// The one reader and writer of the record's JSON-lines files (requests, events, readback). Every
// line is parsed and validated against its kind's schema. Like the embedded state log, a torn last
// line (a write cut by a crash: not valid JSON, and nothing after it) is ignored and reported; a
// damaged line anywhere else throws RECORD_CORRUPT naming the file and line.
import { readFileSync } from 'node:fs';
import type { ZodType } from 'zod';
import { HalabError } from '../core/errors.js';

/** A final line cut mid-write, left out of what was read. */
export interface TornLine {
  readonly file: string;
  /** 1-based line number. */
  readonly line: number;
  readonly bytes: number;
}

export interface NdjsonFile<T> {
  readonly records: T[];
  readonly torn?: TornLine;
}

export interface NdjsonOptions {
  /**
   * 'last' (default): only the final line may be torn. 'any': a torn line anywhere is skipped, for a
   * file that a killed process left torn and its restarted successor appended to.
   */
  readonly torn?: 'last' | 'any';
  /** Called for each torn line skipped (the result's `torn` holds only the last). */
  readonly onTorn?: (torn: TornLine) => void;
}

export type LineResult<T> =
  | { readonly ok: true; readonly value: T }
  /** json: not JSON at all (as a cut write is); shape: JSON that its schema refuses. */
  | { readonly ok: false; readonly kind: 'json' | 'shape'; readonly message: string };

/** Parses and validates one JSON line. */
export function parseLine<T>(text: string, schema: ZodType<T>): LineResult<T> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { ok: false, kind: 'json', message: `not JSON (${(err as Error).message})` };
  }
  const r = schema.safeParse(value);
  if (r.success) return { ok: true, value: r.data };
  const issue = r.error.issues[0]!;
  const path = issue.path.map(String).join('.');
  return { ok: false, kind: 'shape', message: `${path ? `${path}: ` : ''}${issue.message}` };
}

/** Parses the text of a JSON-lines file (named `file` in errors). */
export function parseNdjson<T>(text: string, file: string, schema: ZodType<T>, opts: NdjsonOptions = {}): NdjsonFile<T> {
  const lines = text.split('\n');
  let last = lines.length - 1;
  while (last >= 0 && !lines[last]!.trim()) last -= 1;
  const records: T[] = [];
  let torn: TornLine | undefined;
  for (let i = 0; i <= last; i++) {
    const line = lines[i]!;
    if (!line.trim()) continue;
    const r = parseLine(line, schema);
    if (r.ok) {
      records.push(r.value);
      continue;
    }
    if (r.kind === 'json' && (i === last || opts.torn === 'any')) {
      torn = { file, line: i + 1, bytes: Buffer.byteLength(line) };
      opts.onTorn?.(torn);
      continue;
    }
    throw new HalabError(
      'RECORD_CORRUPT',
      `${file}:${i + 1}: damaged record: ${r.message}`,
      'the line is not a torn final write; repair or remove it, or re-run the scenario',
    );
  }
  return { records, ...(torn ? { torn } : {}) };
}

/** Reads and validates a JSON-lines file; see parseNdjson. */
export function readNdjson<T>(file: string, schema: ZodType<T>, opts: NdjsonOptions = {}): NdjsonFile<T> {
  return parseNdjson(readFileSync(file, 'utf8'), file, schema, opts);
}

/** One JSON object per line, each line ended by a newline. */
export function formatNdjson(records: readonly unknown[]): string {
  return records.map((r) => JSON.stringify(r) + '\n').join('');
}
