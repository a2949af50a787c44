// Request records on disk: one JSON object per line (requests.ndjson).
import { readFileSync } from 'node:fs';
import type { RequestRecord } from './records.js';

export function readRecords(file: string): RequestRecord[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RequestRecord);
}

export function formatRecords(records: readonly RequestRecord[]): string {
  return records.map((r) => JSON.stringify(r)).join('\n') + (records.length ? '\n' : '');
}
