// One client completion through the global load balancer, across regions. The same guarantee as a
// regional gateway, one level up: before the first token a failed region is retried in another;
// after it, the stream continues in another region by assistant-prefill continuation (the regional
// gateway passes the continuation to its replica), so the client gets the exact answer with no
// token repeated or missing — or an explicit error, never a truncated answer that looks complete.
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { ChatRequest } from '../../protocol/chat-request.js';
import type { GlbConfig } from './config.js';
import type { GlbRegions } from './regions.js';
import { upstreamPayload, type AttemptSummary, type CompletionOutcome, type CompletionSink } from '../regional/completion.js';
import { runAttempt, type AttemptResult } from '../regional/upstream-attempt.js';
import type { RetryBudget } from '../../policy/retry-budget.js';
import { COMPLETION_ID_HEADER } from '../../protocol/openai-http.js';
import { labAuthHeaders } from '../../protocol/http-guard.js';
import { ejectsOnFailure } from '../../policy/overload-evidence.js';

export interface GlbCompletionContext {
  readonly regions: GlbRegions;
  readonly config: GlbConfig;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly signal: AbortSignal;
  /** Called with the region that is serving the request (before done or fail). */
  readonly onRegion?: (region: string) => void;
  /** The id the client sees; regional gateways answer (and store) under it. */
  readonly completionId?: string;
  /** The client's Authorization header, passed on (a stored completion is bound to its key). */
  readonly authorization?: string;
  /** The client's id (fair-share shedding), passed on to the regional gateway. */
  readonly clientId?: string;
  /** Bounds cross-region retries before the first token to a share of the requests in flight. */
  readonly retryBudget?: RetryBudget;
}

export async function runGlbCompletion(req: ChatRequest, home: string, ctx: GlbCompletionContext, sink: CompletionSink): Promise<void> {
  const { regions, config, clock, events, signal } = ctx;
  const tried = new Set<string>();
  const replicas: string[] = [];
  let sentText = '';
  let sentTokens = 0;
  let resumes = 0;
  let version: string | undefined;
  let previous: string | undefined;
  let last: { failure: string; reason: string; status?: number } | undefined;
  /** Every upstream attempt: the regions' own (from their halab field) and the regions that failed here. */
  const attempts: AttemptSummary[] = [];
  let answered: { model?: string; group?: string } = {};
  const outcome = (): CompletionOutcome => ({ replicas, resumes, ...(version ? { version } : {}), ...(answered.model ? { model: answered.model } : {}), ...(answered.group ? { group: answered.group } : {}), attempts });
  let budgetSpent = false;

  for (let attempt = 1; attempt <= config.maxAttempts; attempt++) {
    let target = regions.pick(home, tried);
    if (!target && tried.size > 0) {
      // Every region failed this request once: pause briefly and go round again (bounded by maxAttempts).
      try {
        await clock.sleep(config.retryPauseMs, signal);
      } catch {
        return;
      }
      tried.clear();
      target = regions.pick(home, tried);
    }
    if (!target) break;
    // a retry before the first token spends the budget; resuming an answer already started does not
    let releaseRetry: (() => void) | undefined;
    if (previous !== undefined && sentTokens === 0 && ctx.retryBudget) {
      releaseRetry = ctx.retryBudget.tryRetry();
      if (!releaseRetry) {
        budgetSpent = true;
        break;
      }
    }
    tried.add(target.region);
    ctx.onRegion?.(target.region);
    if (previous !== undefined) {
      events.emit(sentTokens > 0 ? EV.glbRequestResumed : EV.glbRequestRetried, previous, last?.reason, { to: target.region, tokens: sentTokens, home });
      if (sentTokens > 0) resumes += 1;
    }
    previous = target.region;
    const release = regions.acquire(target.region);
    const startedMs = clock.monoMs();
    const tokensBefore = sentTokens;
    let result: AttemptResult;
    try {
      const upstream = { replicaId: `gateway/${target.region}`, region: target.region, cluster: '', httpUrl: target.url, modelVersion: version ?? '', headers: { ...labAuthHeaders(), ...(ctx.completionId ? { [COMPLETION_ID_HEADER]: ctx.completionId } : {}), ...(ctx.authorization ? { authorization: ctx.authorization } : {}), ...(ctx.clientId ? { [config.clientIdHeader]: ctx.clientId } : {}) } };
      result = await runAttempt(upstream, upstreamPayload(req, sentText, sentTokens), config, clock, signal, (text, v, model, literal) => {
        if (sentTokens === tokensBefore) regions.noteProgress(target.url);
        if (v) version = v;
        if (model && model !== answered.model) answered = { ...answered, model };
        sentText += text;
        sentTokens += 1;
        sink.token(text, version, model, literal);
      });
    } finally {
      release();
      releaseRetry?.();
    }
    if (result.kind === 'aborted') return;
    if (result.kind === 'done') {
      regions.noteProgress(target.url);
      if (result.version) version = result.version;
      replicas.push(...(result.halab?.replicas ?? [`gateway/${target.region}`]));
      resumes += result.halab?.resumes ?? 0;
      attempts.push(...(result.halab?.attempts ?? [{ replica: `gateway/${target.region}`, group: '', mode: 'fresh' as const, outcome: 'done', ms: Math.round(clock.monoMs() - startedMs) }]).map((a) => ({ ...a, mode: a.mode as AttemptSummary['mode'] })));
      if (result.halab?.model) answered = { model: result.halab.model, ...(result.halab.group ? { group: result.halab.group } : {}) };
      const promptTokens = result.usage ? Math.max(0, result.usage.prompt_tokens) : 0;
      sink.done(result.finishReason, { prompt_tokens: promptTokens, completion_tokens: sentTokens, total_tokens: promptTokens + sentTokens }, outcome());
      return;
    }
    if (result.kind === 'client-error') {
      sink.fail(result.status, `upstream rejected the request: ${result.body.slice(0, 300)}`, outcome(), { body: result.body, contentType: result.contentType });
      return;
    }
    // (the GLB's token callback never refuses a token; a refusal would be a cut stream)
    const failed: { failure: string; reason: string; status?: number } =
      result.kind === 'failed' ? result : { failure: 'cut', reason: result.kind === 'refused' ? result.reason : 'attempt ended' };
    last = failed;
    replicas.push(`gateway/${target.region}`);
    attempts.push({ replica: `gateway/${target.region}`, group: '', mode: tokensBefore > 0 ? 'prefill' : 'fresh', outcome: failed.failure, ms: Math.round(clock.monoMs() - startedMs) });
    // A 429 (the region is full), a 503 before any token (the region has no replica for it right
    // now) or a first-token timeout on a route still answering others (overloaded, not dead) sends
    // this request elsewhere; a connection error, stall, cut stream or a timeout on a route that
    // answers nobody is evidence against the whole region (src/policy/overload-evidence.ts).
    if (ejectsOnFailure(failed, regions.progressAgoMs(target.url), config.firstTokenTimeoutMs)) regions.eject(target.region, failed.failure, failed.reason);
  }
  const why = (last ? last.reason : 'no region is available') + (budgetSpent ? `; no retry in another region: the retry budget (${config.retryBudgetRatio} of requests in flight, at least ${config.retryBudgetMinRetries}) is spent` : '');
  const message = sentTokens > 0 ? `stream interrupted after ${sentTokens} tokens and could not be resumed in any region: ${why}` : `no region could serve the request: ${why}`;
  sink.fail(last?.status === 429 ? 429 : 503, message, outcome());
}
