// One client completion across as many upstream attempts as it takes, along the route's ordered
// upstream groups. Before the first token a failure is retried (the same upstream once for a 5xx
// or reset, after a jittered backoff; never for a silent one) or failed over to the next upstream
// or group. After it, the answer is continued on another upstream — token-exact replay on a
// deterministic group (regenerate, check the prefix already sent, forward the rest), or assistant
// prefill where supported — so the client gets one answer with no token repeated or missing. When
// that is impossible it ends with an explicit error naming the original failure: never a truncated
// answer that looks complete. 400 context-length moves to a group with a larger context; other
// 4xx (content policy) pass through unretried.
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { GatewayConfig } from './config.js';
import type { ChatRequest } from '../../protocol/chat-request.js';
import { defaultRoute, type ModelRoute, type UpstreamGroup } from '../../config/model-routes.js';
import { ReplayCheck } from '../../policy/replay-check.js';
import { continuationMode, errorReason, failureDecision, type ContinuationMode } from '../../policy/retry.js';
import type { RetryBudget } from '../../policy/retry-budget.js';
import { runAttempt, type AttemptResult, type Usage } from './upstream-attempt.js';
import type { Upstream, UpstreamPool } from './upstream-pool.js';

/** One upstream attempt, as reported in the response's halab extension. */
export interface AttemptSummary {
  readonly replica: string;
  readonly group: string;
  readonly mode: ContinuationMode;
  /** done, or the failure kind (status, reset, timeout, overload, cut, stall, malformed, mismatch, rejected...). */
  readonly outcome: string;
  readonly ms: number;
}

export interface CompletionOutcome {
  readonly replicas: readonly string[];
  readonly resumes: number;
  readonly version?: string;
  /** The upstream model that produced the end of the answer. */
  readonly model?: string;
  readonly group?: string;
  readonly attempts?: readonly AttemptSummary[];
  /** Retry-After (s) for the client when every upstream was rate-limited. */
  readonly retryAfterS?: number;
}

export interface CompletionSink {
  /**
   * A content token for the client (the first one commits the response); `model` answered it.
   * `literal`, when given, is the token as a JSON string literal in the upstream's bytes: a
   * streaming sink forwards it as is instead of encoding `text` again.
   */
  token(text: string, version: string | undefined, model?: string, literal?: Buffer): void;
  done(finishReason: string, usage: Usage, outcome: CompletionOutcome): void;
  /** The request cannot be completed. `status` applies when no token was sent yet. */
  fail(status: number, message: string, outcome: CompletionOutcome, passthrough?: { body: string; contentType: string; retryAfterS?: number }): void;
}

export interface CompletionContext {
  readonly pool: UpstreamPool;
  readonly config: GatewayConfig;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly signal: AbortSignal;
  /** The client's model route (default: every upstream, one group). */
  readonly route?: ModelRoute;
  /** Bounds retries before the first token to a share of the requests in flight (absent: unbounded). */
  readonly retryBudget?: RetryBudget;
  /** Called once per upstream attempt with its group and outcome (metrics). */
  readonly onAttempt?: (group: string, outcome: string) => void;
}

/** The upstream request for a fresh attempt or for a prefill continuation after `sentText`. */
export function upstreamPayload(req: ChatRequest, sentText: string, sentTokens: number, model?: string): Record<string, unknown> {
  const { max_completion_tokens: _ignored, ...rest } = req;
  const maxTokens = req.max_tokens ?? req.max_completion_tokens;
  const base = { ...rest, ...(model ? { model } : {}), stream: true, stream_options: { include_usage: true } };
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

interface Failure {
  readonly reason: string;
  readonly failure: string;
  readonly status?: number;
}

interface Choice {
  readonly group: UpstreamGroup;
  readonly groupIndex: number;
  readonly upstream: Upstream;
  readonly mode: ContinuationMode;
  readonly again: boolean;
}

export async function runCompletion(req: ChatRequest, ctx: CompletionContext, sink: CompletionSink): Promise<void> {
  const { pool, config, clock, events, signal } = ctx;
  const route = ctx.route ?? defaultRoute(req.model ?? '', []);
  const wholePool = ctx.route === undefined;
  const attemptsOn = new Map<string, number>();
  const lastFailureOn = new Map<string, string>();
  /** Replicas this request must not use again (silent, cut, or retried once already). */
  const excluded = new Set<string>();
  /** "group:mode" continuations that failed for this request (replay mismatch, prefill rejected). */
  const ruledOut = new Set<string>();
  /** Groups that cannot take this request (context too small). */
  const blockedGroups = new Set<number>();
  const replicas: string[] = [];
  const attempts: AttemptSummary[] = [];
  let sentText = '';
  let sentTokens = 0;
  let resumes = 0;
  let version: string | undefined;
  let answeringGroup: UpstreamGroup | undefined;
  let prefixGroup: UpstreamGroup | undefined;
  let first: Failure | undefined;
  let last: Failure | undefined;
  /** The failure that interrupted the answer once tokens were sent. */
  let interruption: Failure | undefined;
  let passthrough: { status: number; body: string; contentType: string } | undefined;
  let continuationNote: string | undefined;
  const outcome = (): CompletionOutcome => ({
    replicas,
    resumes,
    ...(version ? { version } : {}),
    ...(answeringGroup ? { model: answeringGroup.model, group: answeringGroup.name } : {}),
    attempts,
  });
  const deadlineMs = clock.monoMs() + config.retryWaitMaxMs + config.maxAttempts * (config.firstTokenTimeoutMs + config.retryWaitMaxMs);

  /** Replicas skipped because retries to them reached their bound per window. */
  const bounded = new Set<string>();
  /**
   * A pick that keeps retries to a struggling upstream (failing, or answering 429) within its
   * bound per window; failing over to a healthy one is not bounded.
   */
  const pickAllowed = (exclude: Set<string>, pin: string | undefined, clusters: ReadonlySet<string> | undefined, model: string | undefined): Upstream | undefined => {
    for (;;) {
      const u = pool.pick(exclude, pin, clusters, model);
      if (!u || attemptNo === 0 || !pool.struggling(u.replicaId) || pool.retryAllowed(u.replicaId)) return u;
      bounded.add(u.replicaId);
      exclude.add(u.replicaId);
    }
  };

  let attemptNo = 0;
  /** A retry was due but the gateway's retry budget was spent. */
  let budgetExhausted = false;
  const choose = (): Choice | { waitMs: number } | undefined => {
    let waitMs: number | undefined;
    for (let gi = 0; gi < route.groups.length; gi++) {
      const group = route.groups[gi]!;
      if (blockedGroups.has(gi)) continue;
      const mode = continuationMode(group, req, sentTokens, ruledOut);
      if (!mode) continue;
      const clusters = wholePool ? undefined : group.clusters;
      const model = group.model || undefined;
      // a prefill continuation inside the group that wrote the prefix stays on its model version
      const pin = mode === 'prefill' && group === prefixGroup ? version : undefined;
      const fresh = pickAllowed(new Set([...excluded, ...attemptsOn.keys()]), pin, clusters, model);
      if (fresh) return { group, groupIndex: gi, upstream: fresh, mode, again: false };
      const again = pool.pick(excluded, pin, clusters, model);
      if (again && pool.retryAllowed(again.replicaId)) return { group, groupIndex: gi, upstream: again, mode, again: true };
      if (again) bounded.add(again.replicaId);
      const free = pool.nextFreeInMs(clusters, excluded, model);
      if (free !== undefined && free > 0 && (waitMs === undefined || free < waitMs)) waitMs = free;
    }
    // Retry-After policy: honour (wait for the same upstream, up to retryWaitMaxMs) or fail over at once
    return config.retryAfterPolicy === 'honour' && waitMs !== undefined && waitMs <= config.retryWaitMaxMs && clock.monoMs() + waitMs < deadlineMs ? { waitMs } : undefined;
  };

  while (attemptNo < config.maxAttempts) {
    const choice = choose();
    if (!choice) break;
    if ('waitMs' in choice) {
      try {
        await clock.sleep(choice.waitMs, signal);
      } catch {
        return; // the client left
      }
      if (signal.aborted) return;
      continue;
    }
    const { group, upstream, mode } = choice;
    attemptNo += 1;
    // the same upstream again: back off with jitter (a 429's wait for it was its backoff already)
    if (choice.again && lastFailureOn.get(upstream.replicaId) !== 'overload') {
      try {
        await clock.sleep(pool.retryBackoffMs(attemptsOn.get(upstream.replicaId) ?? 1), signal);
      } catch {
        return;
      }
      if (signal.aborted) return;
    }
    // a retry before the first token spends the budget; resuming an answer already started does not
    let releaseRetry: (() => void) | undefined;
    if (attemptNo > 1 && sentTokens === 0 && ctx.retryBudget) {
      releaseRetry = ctx.retryBudget.tryRetry();
      if (!releaseRetry) {
        budgetExhausted = true;
        break;
      }
    }
    if (attemptNo > 1) pool.noteRetry(upstream.replicaId);
    attemptsOn.set(upstream.replicaId, (attemptsOn.get(upstream.replicaId) ?? 0) + 1);
    replicas.push(upstream.replicaId);
    if (attemptNo > 1) {
      const type = sentTokens > 0 ? EV.requestResumed : EV.requestRetried;
      events.emit(type, replicas[replicas.length - 2]!, last?.reason, { to: upstream.replicaId, tokens: sentTokens, group: group.name, mode });
      if (sentTokens > 0) resumes += 1;
    }
    const release = pool.acquire(upstream.replicaId, group.model || undefined);
    const tokensBefore = sentTokens;
    const startedMs = clock.monoMs();
    const replay = new ReplayCheck(sentText);
    const payload = mode === 'prefill' ? upstreamPayload(req, sentText, sentTokens, group.model) : upstreamPayload(req, '', 0, group.model);
    let result: AttemptResult;
    try {
      result = await runAttempt(upstream, payload, config, clock, signal, (text, v, _model, literal) => {
        if (mode === 'replay') {
          // regenerating the part the client already has: check it, forward only what is new
          const step = replay.accept(text);
          if (step.kind === 'diverged') return `replay on ${upstream.replicaId} diverged from the ${tokensBefore} tokens already sent`;
          if (step.kind === 'hold') return undefined;
          if (step.text !== text) literal = undefined; // a token split by the replay point is re-encoded
          text = step.text;
        }
        if (v) version = v;
        answeringGroup = group;
        prefixGroup = group;
        sentText += text;
        sentTokens += 1;
        sink.token(text, version, group.model, literal);
        return undefined;
      });
    } finally {
      release();
      releaseRetry?.();
    }
    const ms = Math.round(clock.monoMs() - startedMs);
    const note = (what: string): void => {
      attempts.push({ replica: upstream.replicaId, group: group.name, mode, outcome: what, ms });
      ctx.onAttempt?.(group.name, what);
    };
    if (result.kind === 'aborted') return note('aborted');
    if (result.kind === 'done' && mode === 'replay' && !replay.complete) {
      result = { kind: 'refused', reason: `replay on ${upstream.replicaId} ended before the ${tokensBefore} tokens already sent` };
    }
    if (result.kind === 'done') {
      note('done');
      pool.recordSuccess(upstream.replicaId, group.model || undefined);
      if (result.version) version = result.version;
      answeringGroup = group;
      const upstreamUsage = result.usage;
      const promptTokens = upstreamUsage ? Math.max(0, upstreamUsage.prompt_tokens - (mode === 'prefill' ? tokensBefore : 0)) : 0;
      sink.done(result.finishReason, { prompt_tokens: promptTokens, completion_tokens: sentTokens, total_tokens: promptTokens + sentTokens }, outcome());
      return;
    }
    if (result.kind === 'refused') {
      note('mismatch');
      ruledOut.add(`${group.name}:replay`);
      continuationNote = result.reason;
      last = { reason: result.reason, failure: 'mismatch' };
      continue;
    }
    if (result.kind === 'client-error') {
      const reason = `${upstream.replicaId} answered ${result.status}: ${errorReason(result.body)}`;
      if (tokensBefore > 0 || mode === 'prefill') {
        // a continuation the fallback rejected: never let it hide the failure that made it necessary
        note('rejected');
        ruledOut.add(`${group.name}:${mode === 'replay' ? 'replay' : 'prefill'}`);
        continuationNote = `${group.name} rejected the continuation (${reason})`;
        last = { reason: continuationNote, failure: 'rejected' };
        continue;
      }
      note(result.errorClass);
      if (result.errorClass === 'context-length') {
        // no retry on this model; only a group with a larger declared context may take it
        passthrough ??= { status: result.status, body: result.body, contentType: result.contentType };
        first ??= { reason, failure: 'context-length', status: result.status };
        last = { reason, failure: 'context-length', status: result.status };
        route.groups.forEach((g, i) => {
          const larger = g.contextLengthTokens !== undefined && (group.contextLengthTokens === undefined ? g.model !== group.model : g.contextLengthTokens > group.contextLengthTokens);
          if (!larger) blockedGroups.add(i);
        });
        continue;
      }
      // content policy and other request errors: no retry would help; pass the reason through
      sink.fail(result.status, `upstream rejected the request: ${errorReason(result.body)}`, outcome(), { body: result.body, contentType: result.contentType });
      return;
    }
    note(result.failure);
    lastFailureOn.set(upstream.replicaId, result.failure);
    first ??= result;
    last = result;
    if (sentTokens > 0) interruption ??= result;
    if (result.failure === 'overload') pool.rateLimited(upstream.replicaId, result.retryAfterMs);
    else pool.recordFailure(upstream, result.failure, result.reason, group.model || undefined);
    if (!failureDecision(result.failure).retrySame || (attemptsOn.get(upstream.replicaId) ?? 0) >= 2) excluded.add(upstream.replicaId);
  }
  if (passthrough && sentTokens === 0) {
    sink.fail(passthrough.status, `upstream rejected the request: ${first?.reason ?? ''}`, outcome(), passthrough);
    return;
  }
  const original = first?.reason ?? 'no routable replica';
  const limit = bounded.size ? `; retries to ${[...bounded].join(', ')} are at their bound of ${config.retriesPerWindowMax} per ${config.retryWindowMs}ms` : '';
  const spent = budgetExhausted ? `; no retry: the gateway's retry budget (${config.retryBudgetRatio} of requests in flight, at least ${config.retryBudgetMinRetries}) is spent` : '';
  const also = (last && last !== first && last.reason !== first?.reason ? `; last attempt: ${last.reason}` : '') + limit + spent;
  if (sentTokens > 0) {
    const why =
      (continuationNote ?? (last !== interruption && last ? `last attempt: ${last.reason}` : bounded.size ? 'no fallback was free to continue the answer' : 'no fallback could continue the answer (none deterministic for this request or supporting assistant prefill)')) + limit;
    sink.fail(503, `stream interrupted after ${sentTokens} tokens and could not be resumed: ${(interruption ?? first)?.reason ?? 'unknown'}; ${why}`, outcome());
    return;
  }
  const allOverload = attempts.length > 0 && attempts.every((a) => a.outcome === 'overload');
  const freeInMs = pool.nextFreeInMs(wholePool ? undefined : new Set(route.groups.flatMap((g) => [...g.clusters])), new Set());
  sink.fail(allOverload ? 429 : 503, `no replica could serve the request: ${original}${also}`, { ...outcome(), ...(allOverload && freeInMs ? { retryAfterS: Math.max(1, Math.ceil(freeInMs / 1000)) } : {}) });
}
