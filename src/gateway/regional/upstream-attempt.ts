// One streaming attempt against one upstream replica: sends the request, relays content tokens as
// they arrive, and classifies how it ended (done, a client error to pass through or act on, or a
// failure worth retrying elsewhere). Enforces the first-token and stall timeouts; an event that
// is not valid JSON fails the attempt (it may have held a token), and an answer whose finish
// reason came ends within doneGraceMs even if [DONE] never does.
import { request } from 'undici';
import type { Readable } from 'node:stream';
import type { Clock } from '../../core/clock.js';
import { isDoneData, SseFramer } from '../../protocol/sse-framer.js';
import { scanTokenEvent } from '../../protocol/sse-token.js';
import { StreamDeadline } from './stream-deadline.js';
import { classifyClientError, errorReason, type ClientErrorClass, type FailureKind } from '../../policy/retry.js';
import type { Upstream } from './upstream-pool.js';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export type AttemptResult =
  | { readonly kind: 'done'; readonly finishReason: string; readonly usage?: Usage; readonly version?: string; readonly halab?: UpstreamExtension; readonly sawDone: boolean }
  | { readonly kind: 'client-error'; readonly status: number; readonly body: string; readonly contentType: string; readonly errorClass: ClientErrorClass }
  | { readonly kind: 'failed'; readonly failure: FailureKind; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  /** The caller refused a token (a replay whose prefix did not match). */
  | { readonly kind: 'refused'; readonly reason: string }
  | { readonly kind: 'aborted' };

export interface AttemptTimeouts {
  readonly firstTokenTimeoutMs: number;
  readonly stallTimeoutMs: number;
  readonly doneGraceMs: number;
}

/** The `halab` field a regional gateway puts on its final chunk (read by the global load balancer). */
export interface UpstreamExtension {
  readonly replicas?: readonly string[];
  readonly resumes?: number;
  readonly region?: string;
  /** The upstream model that answered, its route group, and every upstream attempt. */
  readonly model?: string;
  readonly group?: string;
  readonly attempts?: readonly { readonly replica: string; readonly group: string; readonly mode: string; readonly outcome: string; readonly ms: number }[];
}

interface Chunk {
  model?: string;
  halab?: UpstreamExtension;
  error?: { message?: string };
  system_fingerprint?: string;
  usage?: Usage | null;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
}

/** Retry-After in ms: delta-seconds or an HTTP date. */
export function retryAfterMs(header: string | string[] | undefined, nowMs: number): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(value);
  return Number.isFinite(at) ? Math.max(0, at - nowMs) : undefined;
}

function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH') return 'connect';
  return 'reset';
}

/**
 * Runs one attempt. `onToken` is called for every content delta, with the model version and the
 * model name the upstream reported on that chunk; returning a string refuses the token and ends the attempt with that reason.
 * Resolves once the attempt has ended; never rejects.
 */
export async function runAttempt(
  upstream: Upstream,
  payload: Record<string, unknown>,
  timeouts: AttemptTimeouts,
  clock: Clock,
  clientSignal: AbortSignal,
  onToken: (text: string, version: string | undefined, model: string | undefined, literal?: Buffer) => string | void,
): Promise<AttemptResult> {
  const controller = new AbortController();
  let timeoutKind: FailureKind | 'grace' | undefined;
  // one lazily refreshed timer per attempt: first token, then stall per token, then the done grace
  const deadline = new StreamDeadline<FailureKind | 'grace'>(clock, timeouts.firstTokenTimeoutMs, 'timeout', (kind) => {
    timeoutKind = kind;
    controller.abort(new Error(kind));
  });
  const onClientAbort = (): void => controller.abort(new Error('client gone'));
  clientSignal.addEventListener('abort', onClientAbort, { once: true });
  let tokens = 0;
  let finishReason: string | undefined;
  let usage: Usage | undefined;
  let version: string | undefined = upstream.versionFromRegistration ? upstream.modelVersion : undefined;
  let halab: UpstreamExtension | undefined;
  let sawDone = false;
  const done = (): AttemptResult => ({ kind: 'done', finishReason: finishReason!, ...(usage ? { usage } : {}), ...(version ? { version } : {}), ...(halab ? { halab } : {}), sawDone });
  try {
    const res = await request(`${upstream.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...upstream.headers, ...(upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {}) },
      body: JSON.stringify(payload),
      signal: controller.signal,
    });
    if (res.statusCode !== 200) {
      const body = await res.body.text();
      if (res.statusCode === 429) {
        const after = retryAfterMs(res.headers['retry-after'], clock.nowMs());
        return { kind: 'failed', failure: 'overload', reason: `429 from ${upstream.replicaId}${after === undefined ? ' (no Retry-After)' : ` (Retry-After ${after}ms)`}`, status: 429, ...(after !== undefined ? { retryAfterMs: after } : {}) };
      }
      // 401/403/404 say the upstream is misconfigured (key, model name), not that the request is bad
      if (res.statusCode >= 400 && res.statusCode < 500 && ![401, 403, 404, 408].includes(res.statusCode)) {
        return { kind: 'client-error', status: res.statusCode, body, contentType: String(res.headers['content-type'] ?? 'application/json'), errorClass: classifyClientError(res.statusCode, body) };
      }
      return { kind: 'failed', failure: 'status', reason: `status ${res.statusCode} from ${upstream.replicaId}: ${errorReason(body).slice(0, 200)}`, status: res.statusCode };
    }
    const content = (text: string, chunkVersion: string | undefined, model: string | undefined, literal?: Buffer): AttemptResult | undefined => {
      if (finishReason) return undefined; // nothing counts after the finish reason
      if (chunkVersion && !upstream.versionFromRegistration) version = chunkVersion;
      tokens += 1;
      deadline.touch(timeouts.stallTimeoutMs, 'stall');
      const refusal = onToken(text, version, model, literal);
      return typeof refusal === 'string' ? { kind: 'refused', reason: refusal } : undefined;
    };
    const handle = (data: Buffer): AttemptResult | undefined => {
      if (isDoneData(data)) {
        sawDone = true;
        return undefined;
      }
      // the common case, a chunk of one token: its bytes are scanned, not parsed
      const token = scanTokenEvent(data);
      if (token) return content(token.text, token.fingerprint, token.model, token.literal);
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data.toString('utf8')) as Chunk;
      } catch {
        return { kind: 'failed', failure: 'malformed', reason: `malformed event from ${upstream.replicaId} after ${tokens} tokens: ${data.toString('utf8', 0, 60)}` };
      }
      if (chunk.error) return { kind: 'failed', failure: 'status', reason: `in-band error from ${upstream.replicaId}: ${chunk.error.message ?? 'unknown'}` };
      if (chunk.system_fingerprint && !upstream.versionFromRegistration) version = chunk.system_fingerprint;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.halab) halab = chunk.halab;
      const choice = chunk.choices?.[0];
      const text = choice?.delta?.content;
      if (text) {
        const ended = content(text, undefined, chunk.model);
        if (ended) return ended;
      }
      if (choice?.finish_reason && !finishReason) {
        finishReason = choice.finish_reason;
        deadline.touch(timeouts.doneGraceMs, 'grace');
      }
      return undefined;
    };
    const ended = await readEvents(res.body, handle, () => sawDone || (finishReason !== undefined && usage !== undefined), timeouts.doneGraceMs, clock);
    if (ended) {
      controller.abort(new Error('attempt ended'));
      return ended;
    }
    if (finishReason) return done();
    return { kind: 'failed', failure: 'cut', reason: `stream from ${upstream.replicaId} ended after ${tokens} tokens without a finish reason` };
  } catch (err) {
    if (clientSignal.aborted) return { kind: 'aborted' };
    if (finishReason) return done(); // the answer was complete; [DONE] did not come within doneGraceMs
    if (timeoutKind === 'timeout') return { kind: 'failed', failure: 'timeout', reason: `no token from ${upstream.replicaId} within ${timeouts.firstTokenTimeoutMs}ms` };
    if (timeoutKind === 'stall') return { kind: 'failed', failure: 'stall', reason: `stream from ${upstream.replicaId} stalled for ${timeouts.stallTimeoutMs}ms after ${tokens} tokens` };
    const kind = classifyError(err);
    return { kind: 'failed', failure: tokens > 0 && kind === 'reset' ? 'cut' : kind, reason: `${kind === 'connect' ? 'connection refused by' : tokens > 0 ? 'stream cut by' : 'connection reset by'} ${upstream.replicaId}${tokens > 0 ? ` after ${tokens} tokens` : ''}: ${(err as Error).message}` };
  } finally {
    deadline.stop();
    clientSignal.removeEventListener('abort', onClientAbort);
  }
}

/**
 * Feeds a streaming body's events to `handle` as they arrive (data events, no promise per chunk).
 * Resolves with the result `handle` ended on, or undefined at the end of the stream or once
 * `complete()` says nothing more is needed; rejects with the body's error (reset, abort).
 */
function readEvents(body: Readable, handle: (data: Buffer) => AttemptResult | undefined, complete: () => boolean, lingerMs: number, clock: Clock): Promise<AttemptResult | undefined> {
  const framer = new SseFramer();
  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (result: AttemptResult | undefined, err?: unknown): void => {
      if (settled) return;
      settled = true;
      body.off('data', onData);
      body.off('end', onEnd);
      body.off('error', onError);
      body.off('close', onClose);
      if (err !== undefined) reject(err);
      else resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      for (const data of framer.push(chunk)) {
        const ended = handle(data);
        if (ended) return finish(ended);
      }
      if (complete()) {
        // the answer is whole: answer now; the rest (at most [DONE] and the end of the response)
        // is drained so the kept-alive connection can serve again, or dropped after lingerMs
        finish(undefined);
        linger(body, lingerMs, clock);
      }
    };
    const onEnd = (): void => {
      for (const data of framer.flush()) {
        const ended = handle(data);
        if (ended) return finish(ended);
      }
      finish(undefined);
    };
    const onError = (err: unknown): void => finish(undefined, err);
    // a body destroyed without an error (aborted) never ends: treat it as cut
    const onClose = (): void => finish(undefined, new Error('upstream body closed before its end'));
    body.on('data', onData);
    body.on('end', onEnd);
    body.on('error', onError);
    body.on('close', onClose);
  });
}

/** Reads a body to its end in the background, destroying it if it has not ended within `ms`. */
function linger(body: Readable, ms: number, clock: Clock): void {
  if (body.readableEnded || body.destroyed) return;
  body.on('error', () => undefined);
  const timer = clock.setTimer(ms, () => body.destroy());
  body.once('close', () => timer.cancel());
  body.resume();
}
