// The replica's OpenAI-compatible HTTP API: POST /v1/chat/completions (SSE streaming and not),
// GET /v1/models, GET /health (200 only when the model is loaded and the GPU is fine, like vLLM),
// GET /metrics (vLLM metric names). Faults change what it does; see faults.ts.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { validateChatRequest } from '../protocol/chat-request.js';
import { BodyTooLargeError, listenHttp, readBody, sendError } from '../protocol/openai-http.js';
import { sseData } from '../protocol/sse.js';
import { EngineOverloadError, SequenceTooLongError } from './engine.js';
import { guardHandler, requestPath } from '../protocol/http-guard.js';
import { EV } from '../record/event-types.js';
import type { ReplicaMetrics } from './metrics.js';
import type { ReplicaCore } from './replica-core.js';
import { answerPlan, countTokens, promptKey, promptTokens, tokenAt } from '../protocol/tokens.js';

export const BODY_MAX_BYTES = 1 << 20;
export const XID_MESSAGE = 'GPU error: Xid 79, GPU has fallen off the bus';

/** vLLM's answer to a prompt plus max_tokens beyond the model's context, or undefined when it fits. */
export function contextLengthError(promptTokenCount: number, maxTokens: number | undefined, maxModelLenTokens: number): string | undefined {
  const asked = promptTokenCount + (maxTokens ?? 0);
  if (asked <= maxModelLenTokens) return undefined;
  return `This model's maximum context length is ${maxModelLenTokens} tokens. However, you requested ${asked} tokens (${promptTokenCount} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`;
}

export interface HttpApi {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

export async function startHttpApi(core: ReplicaCore, metrics: ReplicaMetrics, host: string, port = 0): Promise<HttpApi> {
  const { clock, modelName, id: replicaId } = core.opts;
  const replicaHeader = { 'x-halab-replica': replicaId };
  const labels = { model_name: modelName };
  let seq = 0;

  const fail = (res: ServerResponse, status: number, message: string, code: string, param: string | null = null): void => {
    sendError(res, status, message, code, param, 1, replicaHeader);
  };

  async function completions(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (core.faults.hung()) return; // accepted, never answered
    let raw: string;
    try {
      raw = await readBody(req, BODY_MAX_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) fail(res, 413, err.message, 'body_too_large');
      return;
    }
    if (core.faults.hung()) return;
    const parsed = validateChatRequest(raw);
    if (!parsed.ok) return fail(res, 400, parsed.error.message, 'invalid_request', parsed.error.param);
    const body = parsed.request;
    if (body.model !== undefined && body.model !== modelName) {
      return fail(res, 404, `The model \`${body.model}\` does not exist.`, 'model_not_found', 'model');
    }
    if (!core.loaded) return fail(res, 503, 'model is loading', 'model_loading');
    // a draining replica still answers the control plane's probes: draining is not ill health
    if (core.draining && req.headers['x-halab-probe'] !== '1') return fail(res, 503, 'replica is draining', 'draining');

    // A continuation (vLLM assistant prefill) resumes an answer at the position its prefix ends.
    const last = body.messages[body.messages.length - 1]!;
    const continuation = body.continue_final_message === true && last.role === 'assistant';
    const promptMessages = continuation ? body.messages.slice(0, -1) : body.messages;
    const startPosition = continuation ? countTokens(last.content) : 0;
    const prefillTokens = promptTokens(promptMessages) + startPosition;
    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    // Too long for the model is the client's error, a 400 as vLLM answers it: never a sign of ill health.
    const contextError = contextLengthError(prefillTokens, maxTokens, core.opts.profile.maxModelLenTokens);
    if (contextError) return fail(res, 400, contextError, 'context_length_exceeded', 'messages');
    core.begin();
    let finished = false;
    const finish = (failed: boolean): void => {
      if (finished) return;
      finished = true;
      core.end(failed);
    };
    if (core.faults.xid()) {
      finish(true);
      return fail(res, 500, XID_MESSAGE, 'gpu_error');
    }
    if (core.drawError()) {
      finish(true);
      return fail(res, 500, 'internal server error (injected)', 'internal_error');
    }

    const key = promptKey(promptMessages);
    const seed = body.seed ?? 0;
    const plan = answerPlan(core.version, key, seed, maxTokens === undefined ? undefined : startPosition + maxTokens);
    const newTokens = Math.max(0, plan.length - startPosition);
    const id = `chatcmpl-${replicaId.replace(/\W/g, '')}-${(seq++).toString(36)}`;
    const created = Math.floor(clock.nowMs() / 1000);
    const startedMs = clock.monoMs();
    const cutAfter = core.faults.cutAfterTokens();
    const stream = body.stream === true;
    const includeUsage = body.stream_options?.include_usage === true;
    let text = '';
    let firstTokenMs: number | undefined;
    const usage = () => ({ prompt_tokens: prefillTokens, completion_tokens: newTokens, total_tokens: prefillTokens + newTokens });
    const chunk = (delta: Record<string, unknown>, finishReason: string | null) =>
      sseData({ id, object: 'chat.completion.chunk', created, model: modelName, system_fingerprint: core.version, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });

    // The 200 is committed only once the engine has taken the sequence, so a full queue is a 429.
    const commit = (): void => {
      if (!stream || res.headersSent) return;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', ...replicaHeader });
      res.write(chunk({ role: 'assistant', content: '' }, null));
    };
    res.on('close', () => {
      if (!finished) {
        core.engine.cancel(id);
        finish(false);
      }
    });
    const onDone = (): void => {
      if (core.faults.hung()) return;
      const e2eS = (clock.monoMs() - startedMs) / 1000;
      metrics.e2e.observe(labels, e2eS);
      if (newTokens > 1 && firstTokenMs !== undefined) metrics.tpot.observe(labels, (clock.monoMs() - firstTokenMs) / 1000 / (newTokens - 1));
      metrics.promptTokens.inc(labels, prefillTokens);
      metrics.generationTokens.inc(labels, newTokens);
      metrics.success.inc({ ...labels, finished_reason: plan.finishReason });
      finish(false);
      if (stream) {
        commit();
        res.write(chunk({}, plan.finishReason));
        if (includeUsage) res.write(sseData({ id, object: 'chat.completion.chunk', created, model: modelName, system_fingerprint: core.version, choices: [], usage: usage() }));
        res.end(sseData('[DONE]'));
        return;
      }
      res.writeHead(200, { 'content-type': 'application/json', ...replicaHeader });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: modelName,
          system_fingerprint: core.version,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: plan.finishReason }],
          usage: usage(),
        }),
      );
    };
    try {
      if (newTokens === 0) return onDone();
      core.engine.submit({
        id,
        prefillTokens,
        newTokens,
        onToken(index) {
          if (core.faults.hung()) return; // a wedged process emits nothing more
          if (index === 0) {
            firstTokenMs = clock.monoMs();
            metrics.ttft.observe(labels, (firstTokenMs - startedMs) / 1000);
          }
          const token = tokenAt(core.tokenVersion(), key, seed, startPosition + index);
          if (!stream) {
            text += token;
            return;
          }
          if (cutAfter !== undefined && index >= cutAfter) {
            core.engine.cancel(id);
            finish(true);
            res.destroy(); // the stream dies mid-answer: no finish reason, no [DONE]
            return;
          }
          res.write(chunk({ content: token }, null));
        },
        onDone,
        onError(err) {
          finish(true);
          if (stream && res.headersSent) res.end(sseData({ error: { message: err.message, type: 'server_error', param: null, code: 'gpu_error' } }));
          else fail(res, 500, err.message, 'gpu_error');
        },
      });
      commit();
    } catch (err) {
      if (err instanceof SequenceTooLongError) {
        finish(false);
        return fail(res, 400, `This model's KV cache holds ${core.opts.profile.kvCapacityTokens} tokens; ${err.message}. Please reduce the length of the messages or completion.`, 'context_length_exceeded', 'messages');
      }
      finish(true);
      if (err instanceof EngineOverloadError) return fail(res, 429, err.message, 'overloaded');
      throw err;
    }
  }

  const server = createServer(guardHandler((req, res) => {
    const url = requestPath(req);
    if (req.method === 'POST' && url === '/v1/chat/completions') {
      completions(req, res).catch((err: Error) => fail(res, 500, `replica error: ${err.message}`, 'internal_error'));
      return;
    }
    if (req.method === 'GET' && url === '/health') {
      if (core.faults.hung()) return;
      const ok = core.loaded && !core.faults.xid();
      res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json', ...replicaHeader });
      return void res.end(JSON.stringify({ status: ok ? 'ok' : core.faults.xid() ? 'gpu-failed' : 'loading' }));
    }
    if (req.method === 'GET' && url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json', ...replicaHeader });
      return void res.end(JSON.stringify({ object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'halab', root: modelName, max_model_len: core.opts.profile.maxModelLenTokens }] }));
    }
    if (req.method === 'GET' && url === '/metrics') {
      metrics.registry
        .metrics()
        .then((text) => {
          res.writeHead(200, { 'content-type': metrics.registry.contentType });
          res.end(text);
        })
        .catch((err: Error) => fail(res, 500, err.message, 'metrics_error'));
      return;
    }
    fail(res, 404, `no route for ${req.method} ${url.slice(0, 200)}`, 'not_found');
  }, (err, req) => core.opts.events.emit(EV.httpHandlerFailed, replicaId, err instanceof Error ? err.message : String(err), { method: String(req.method), path: requestPath(req).slice(0, 200) })));
  const bound = await listenHttp(server, host, port);
  return { ...bound, server };
}
