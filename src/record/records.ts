// One record per client request: what the client saw, and nothing a server claimed. The load
// drivers write these; measure/ computes every figure from them.
import type { RecordVersion } from './schema-version.js';

export type Outcome = 'ok' | 'failed' | 'truncated' | 'timeout';

export interface RequestRecord {
  /** Record schema version (schema-version.ts); absent in files written before it existed (read as 1). */
  readonly v?: RecordVersion;
  readonly id: string;
  /** Epoch ms when the request was sent. */
  readonly startMs: number;
  /** Epoch ms of the first content token, when one arrived. */
  readonly firstTokenMs?: number;
  readonly endMs: number;
  readonly streaming: boolean;
  /** Content tokens received. */
  readonly tokens: number;
  /** Tokens the deterministic answer has, when the client could compute it. */
  readonly expectedTokens?: number;
  /**
   * ok: complete answer with a finish reason; failed: an error status or in-band error;
   * truncated: the answer ended early without an error (the worst kind); timeout: no end in time.
   */
  readonly outcome: Outcome;
  readonly status?: number;
  readonly reason?: string;
  /** Whether the text equals the expected deterministic answer (null when not checked). */
  readonly correct: boolean | null;
  /** Replicas that served it, in order (more than one when it was resumed). */
  readonly replicas: readonly string[];
  /** Times the gateway resumed the stream elsewhere. */
  readonly resumes: number;
  /** Gaps between consecutive content tokens, ms (streaming only). */
  readonly tokenGapsMs?: readonly number[];
  /** Model version that answered. */
  readonly modelVersion?: string;
  /** Model name that answered (the response's `model`: a fallback's when one answered). */
  readonly model?: string;
  /** Route group that answered (from the answer's halab field). */
  readonly group?: string;
  /** Upstream attempts the serving path made for it, first try included (from the halab field). */
  readonly attempts?: number;
  /** Client region header, when the load set one. */
  readonly clientRegion?: string;
  /** With `store: true`: the id of the stored completion, on ok answers only (an acknowledged write). */
  readonly storedId?: string;
  /** Region that acknowledged the stored write (from the answer's halab.region). */
  readonly storedRegion?: string;
  /** The misbehaving client class that sent it (a client-side fault kind, e.g. load.poison); absent: a well-behaved client. */
  readonly clientClass?: string;
}

/** Extension the gateway adds to the final chunk (or response body) of every answer. */
export interface HalabResponseExtension {
  readonly replicas: readonly string[];
  readonly resumes: number;
  readonly region?: string;
  /** The upstream model and route group that answered, and every upstream attempt. */
  readonly model?: string;
  readonly group?: string;
  readonly attempts?: readonly { readonly replica: string; readonly group: string; readonly outcome: string }[];
}

/** The read-back of one acknowledged stored completion, after the run. */
export interface ReadbackRecord {
  /** Record schema version; absent in files written before it existed (read as 1). */
  readonly v?: RecordVersion;
  /** Request record id (r<index>). */
  readonly requestId: string;
  readonly storedId: string;
  /** Region that acknowledged the write. */
  readonly writtenIn?: string;
  /** When the client saw the write acknowledged (the answer's end), epoch ms. */
  readonly ackedAtMs: number;
  /** Region read from. */
  readonly readFrom: string;
  readonly found: boolean;
  readonly status: number | null;
  readonly error?: string;
  readonly atMs: number;
}
