// The record files of a run on disk: requests.ndjson, events.ndjson, readback.ndjson. Writers stamp
// each line with the record schema version `v`; readers validate every line (see ndjson.ts).
import type { LabEvent } from './events.js';
import { formatNdjson, readNdjson, type NdjsonFile, type NdjsonOptions } from './ndjson.js';
import { labEventSchema, readbackRecordSchema, requestRecordSchema } from './record-schemas.js';
import type { ReadbackRecord, RequestRecord } from './records.js';
import { RECORD_VERSION } from './schema-version.js';

export function readRecords(file: string, opts?: NdjsonOptions): NdjsonFile<RequestRecord> {
  return readNdjson(file, requestRecordSchema, opts);
}

export function readEvents(file: string, opts?: NdjsonOptions): NdjsonFile<LabEvent> {
  return readNdjson(file, labEventSchema, opts);
}

export function readReadbacks(file: string, opts?: NdjsonOptions): NdjsonFile<ReadbackRecord> {
  return readNdjson(file, readbackRecordSchema, opts);
}

/** A record with the current schema version stamped on it (first, for people reading the file). */
export function versioned<T extends object>(record: T): T & { readonly v: typeof RECORD_VERSION } {
  return { v: RECORD_VERSION, ...record };
}

/** Records of any kind as JSON lines, each stamped with the schema version. */
export function formatRecords(records: readonly object[]): string {
  return formatNdjson(records.map(versioned));
}
