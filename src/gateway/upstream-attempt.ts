// One streaming attempt against one upstream replica: sends the request, relays content tokens as
// they arrive, and classifies how it ended (done, a client error to pass through, or a failure
// worth retrying elsewhere). Enforces the first-token and stall timeouts.
import { request } from 'undici';
import type { Clock, TimerHandle } from '../core/clock.js';
import { SseParser } from '../core/sse.js';
import type { FailureKind, Upstream } from './upstream-pool.js';

export interface Usage {
  readonly prompt_tokens: number;
  readonly completion_tokens: number;
  readonly total_tokens: number;
}

export type AttemptResult =
  | { readonly kind: 'done'; readonly finishReason: string; readonly usage?: Usage; readonly version?: string; readonly halab?: UpstreamExtension }
  | { readonly kind: 'client-error'; readonly status: number; readonly body: string; readonly contentType: string }
  | { readonly kind: 'failed'; readonly failure: FailureKind; readonly reason: string; readonly status?: number; readonly retryAfterMs?: number }
  | { readonly kind: 'aborted' };

export interface AttemptTimeouts {
  readonly firstTokenTimeoutMs: number;
  readonly stallTimeoutMs: number;
}

/** The `halab` field a regional gateway puts on its final chunk (read by the global load balancer). */
export interface UpstreamExtension {
  readonly replicas?: readonly string[];
  readonly resumes?: number;
  readonly region?: string;
}

interface Chunk {
  halab?: UpstreamExtension;
  error?: { message?: string };
  system_fingerprint?: string;
  usage?: Usage | null;
  choices?: { delta?: { content?: string | null }; finish_reason?: string | null }[];
}

function retryAfterMs(header: string | string[] | undefined): number | undefined {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) ? Math.max(0, seconds * 1000) : undefined;
}

function classifyError(err: unknown): FailureKind {
  const code = (err as { code?: string }).code ?? '';
  if (code === 'ECONNREFUSED' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'EHOSTUNREACH') return 'connect';
  return 'reset';
}

/**
 * Runs one attempt. `onToken` is called for every content delta, with the model version the
 * upstream reported. Resolves once the attempt has ended; never rejects.
 */
export async function runAttempt(
  upstream: Upstream,
  payload: Record<string, unknown>,
  timeouts: AttemptTimeouts,
  clock: Clock,
  clientSignal: AbortSignal,
  onToken: (text: string, version: string | undefined) => void,
): Promise<AttemptResult> {
  const controller = new AbortController();
  let timeoutKind: FailureKind | undefined;
  let timer: TimerHandle | undefined;
  const arm = (ms: number, kind: FailureKind): void => {
    timer?.cancel();
    timer = clock.setTimer(ms, () => {
      timeoutKind = kind;
      controller.abort(new Error(kind));
    });
  };
  const onClientAbort = (): void => controller.abort(new Error('client gone'));
  clientSignal.addEventListener('abort', onClientAbort, { once: true });
  arm(timeouts.firstTokenTimeoutMs, 'timeout');
  let tokens = 0;
  try {
    const res = await request(`${upstream.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payload),
      signal: controller.signal,
    });
    if (res.statusCode !== 200) {
      const body = await res.body.text();
      if (res.statusCode === 429) {
        const after = retryAfterMs(res.headers['retry-after']);
        return { kind: 'failed', failure: 'overload', reason: `429 from ${upstream.replicaId}`, status: 429, ...(after !== undefined ? { retryAfterMs: after } : {}) };
      }
      if (res.statusCode >= 400 && res.statusCode < 500 && res.statusCode !== 408) {
        return { kind: 'client-error', status: res.statusCode, body, contentType: String(res.headers['content-type'] ?? 'application/json') };
      }
      return { kind: 'failed', failure: 'status', reason: `status ${res.statusCode} from ${upstream.replicaId}: ${body.slice(0, 200)}`, status: res.statusCode };
    }
    const parser = new SseParser();
    let finishReason: string | undefined;
    let usage: Usage | undefined;
    let version: string | undefined;
    let halab: UpstreamExtension | undefined;
    let sawDone = false;
    const handle = (data: string): AttemptResult | undefined => {
      if (data === '[DONE]') {
        sawDone = true;
        return undefined;
      }
      let chunk: Chunk;
      try {
        chunk = JSON.parse(data) as Chunk;
      } catch {
        return undefined; // a malformed event is skipped; the token accounting stays exact
      }
      if (chunk.error) return { kind: 'failed', failure: 'status', reason: `in-band error from ${upstream.replicaId}: ${chunk.error.message ?? 'unknown'}` };
      if (chunk.system_fingerprint) version = chunk.system_fingerprint;
      if (chunk.usage) usage = chunk.usage;
      if (chunk.halab) halab = chunk.halab;
      const choice = chunk.choices?.[0];
      const content = choice?.delta?.content;
      if (content) {
        tokens += 1;
        arm(timeouts.stallTimeoutMs, 'stall');
        onToken(content, version);
      }
      if (choice?.finish_reason) finishReason = choice.finish_reason;
      return undefined;
    };
    res.body.setEncoding('utf8');
    for await (const text of res.body as AsyncIterable<string>) {
      for (const data of parser.push(text)) {
        const ended = handle(data);
        if (ended) {
          controller.abort(new Error('upstream error'));
          return ended;
        }
      }
      if (sawDone) break;
    }
    for (const data of parser.flush()) handle(data);
    if (finishReason) return { kind: 'done', finishReason, ...(usage ? { usage } : {}), ...(version ? { version } : {}), ...(halab ? { halab } : {}) };
    return { kind: 'failed', failure: 'cut', reason: `stream from ${upstream.replicaId} ended after ${tokens} tokens without a finish reason` };
  } catch (err) {
    if (clientSignal.aborted) return { kind: 'aborted' };
    if (timeoutKind === 'timeout') return { kind: 'failed', failure: 'timeout', reason: `no token from ${upstream.replicaId} within ${timeouts.firstTokenTimeoutMs}ms` };
    if (timeoutKind === 'stall') return { kind: 'failed', failure: 'stall', reason: `stream from ${upstream.replicaId} stalled for ${timeouts.stallTimeoutMs}ms after ${tokens} tokens` };
    const kind = classifyError(err);
    return { kind: 'failed', failure: tokens > 0 && kind === 'reset' ? 'cut' : kind, reason: `${kind} error from ${upstream.replicaId}: ${(err as Error).message}` };
  } finally {
    timer?.cancel();
    clientSignal.removeEventListener('abort', onClientAbort);
  }
}
