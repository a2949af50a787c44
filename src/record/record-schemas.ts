// The shape of each kind of record line, checked when a file is read back. Every line may carry `v`
// (the record schema version, see schema-version.ts); a line without it is version 1. Unknown extra
// fields are kept, so a reader of version 1 reads lines that only add fields.
import { z, type ZodType } from 'zod';
import type { LabEvent } from './events.js';
import type { ReadbackRecord, RequestRecord } from './records.js';
import { RECORD_VERSION } from './schema-version.js';

const version = z.literal(RECORD_VERSION, { error: `record schema version must be ${RECORD_VERSION} (written by a newer halab?)` }).optional();
const strings = z.array(z.string());

export const requestRecordSchema: ZodType<RequestRecord> = z.looseObject({
  v: version,
  id: z.string(),
  startMs: z.number(),
  firstTokenMs: z.number().optional(),
  endMs: z.number(),
  streaming: z.boolean(),
  tokens: z.number(),
  expectedTokens: z.number().optional(),
  outcome: z.enum(['ok', 'failed', 'truncated', 'timeout']),
  status: z.number().optional(),
  reason: z.string().optional(),
  correct: z.boolean().nullable(),
  replicas: strings,
  resumes: z.number(),
  tokenGapsMs: z.array(z.number()).optional(),
  modelVersion: z.string().optional(),
  clientRegion: z.string().optional(),
  storedId: z.string().optional(),
  storedRegion: z.string().optional(),
  clientClass: z.string().optional(),
});

export const labEventSchema: ZodType<LabEvent> = z.looseObject({
  v: version,
  atMs: z.number(),
  source: z.string(),
  type: z.string(),
  subject: z.string(),
  reason: z.string().optional(),
  data: z.record(z.string(), z.unknown()).optional(),
});

export const readbackRecordSchema: ZodType<ReadbackRecord> = z.looseObject({
  v: version,
  requestId: z.string(),
  storedId: z.string(),
  writtenIn: z.string().optional(),
  ackedAtMs: z.number(),
  readFrom: z.string(),
  found: z.boolean(),
  status: z.number().nullable(),
  error: z.string().optional(),
  atMs: z.number(),
});
