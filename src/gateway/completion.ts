// One client completion across as many upstream attempts as it takes. Before the first token a
// failure is retried on another replica; after it, the stream is resumed on another replica of
// the same model version by assistant-prefill continuation, so the client gets the exact answer
// with no token repeated or missing. When that is impossible it ends with an explicit error —
// never a truncated answer that looks complete.
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import { EV } from '../core/event-types.js';
import type { GatewayConfig } from './config.js';
import type { ChatRequest } from '../core/chat-request.js';
import { runAttempt, type AttemptResult, type Usage } from './upstream-attempt.js';
import type { Upstream, UpstreamPool } from './upstream-pool.js';

export interface CompletionOutcome {
  readonly replicas: readonly string[];
  readonly resumes: number;
  readonly version?: string;
}

export interface CompletionSink {
  /** A content token for the client (the first one commits the response). */
  token(text: string, version: string | undefined): void;
  done(finishReason: string, usage: Usage, outcome: CompletionOutcome): void;
  /** The request cannot be completed. `status` applies when no token was sent yet. */
  fail(status: number, message: string, outcome: CompletionOutcome, passthrough?: { body: string; contentType: string }): void;
}

export interface CompletionContext {
  readonly pool: UpstreamPool;
  readonly config: GatewayConfig;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly signal: AbortSignal;
}

/** The upstream request for a fresh attempt or for a continuation after `sentText`. */
export function upstreamPayload(req: ChatRequest, sentText: string, sentTokens: number): Record<string, unknown> {
  const { max_completion_tokens: _ignored, ...rest } = req;
  const maxTokens = req.max_tokens ?? req.max_completion_tokens;
  const base = { ...rest, stream: true, stream_options: { include_usage: true } };
  if (sentTokens === 0) return maxTokens === undefined ? base : { ...base, max_tokens: maxTokens };
  // A request that is itself a continuation (resumed by the global load balancer) extends its
  // assistant prefix rather than adding a second assistant message.
  const last = req.messages[req.messages.length - 1]!;
  const extend = req.continue_final_message === true && last.role === 'assistant';
  return {
    ...base,
    messages: extend ? [...req.messages.slice(0, -1), { ...last, content: last.content + sentText }] : [...req.messages, { role: 'assistant', content: sentText }],
    continue_final_message: true,
    add_generation_prompt: false,
    ...(maxTokens === undefined ? {} : { max_tokens: maxTokens - sentTokens }),
  };
}

export async function runCompletion(req: ChatRequest, ctx: CompletionContext, sink: CompletionSink): Promise<void> {
  const { pool, config, clock, events, signal } = ctx;
  const tried = new Set<string>();
  const replicas: string[] = [];
  let sentText = '';
  let sentTokens = 0;
  let resumes = 0;
  let version: string | undefined;
  let last: { failure: string; reason: string; status?: number } | undefined;
  const outcome = (): CompletionOutcome => ({ replicas, resumes, ...(version ? { version } : {}) });

  for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
    const upstream: Upstream | undefined = pool.pick(tried, sentTokens > 0 ? version : undefined);
    if (!upstream) break;
    tried.add(upstream.replicaId);
    replicas.push(upstream.replicaId);
    if (attempt > 1) {
      const type = sentTokens > 0 ? EV.requestResumed : EV.requestRetried;
      events.emit(type, replicas[replicas.length - 2]!, last?.reason, { to: upstream.replicaId, tokens: sentTokens });
      if (sentTokens > 0) resumes += 1;
    }
    const release = pool.acquire(upstream.replicaId);
    const tokensBefore = sentTokens;
    let result: AttemptResult;
    try {
      result = await runAttempt(upstream, upstreamPayload(req, sentText, sentTokens), config, clock, signal, (text, v) => {
        if (v) version = v;
        sentText += text;
        sentTokens += 1;
        sink.token(text, version);
      });
    } finally {
      release();
    }
    if (result.kind === 'aborted') return;
    if (result.kind === 'done') {
      if (result.version) version = result.version;
      const upstreamUsage = result.usage;
      const promptTokens = upstreamUsage ? Math.max(0, upstreamUsage.prompt_tokens - tokensBefore) : 0;
      sink.done(result.finishReason, { prompt_tokens: promptTokens, completion_tokens: sentTokens, total_tokens: promptTokens + sentTokens }, outcome());
      return;
    }
    if (result.kind === 'client-error') {
      // The request itself is bad for this model (context length, policy): no retry would help.
      sink.fail(result.status, `upstream rejected the request: ${result.body.slice(0, 300)}`, outcome(), { body: result.body, contentType: result.contentType });
      return;
    }
    last = result;
    if (result.failure === 'overload') pool.markBusy(upstream.replicaId, result.retryAfterMs ?? config.retryAfterS * 1000);
    else pool.eject(upstream, result.failure, result.reason);
  }
  const why = last ? last.reason : 'no routable replica';
  const message = sentTokens > 0 ? `stream interrupted after ${sentTokens} tokens and could not be resumed: ${why}` : `no replica could serve the request: ${why}`;
  sink.fail(last?.status === 429 ? 429 : 503, message, outcome());
}
