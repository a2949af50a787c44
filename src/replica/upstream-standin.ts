// The misbehaving-upstream stand-in: a plain OpenAI-compatible HTTP server (no agent, no control
// plane) that answers with the deterministic stand-in model and, on demand, misbehaves the way
// real upstreams do (see misbehaviour.ts). It also serves the health endpoints of vLLM (/health,
// /v1/models, /metrics), TGI (/info) and llama.cpp (/slots), and DCGM-exporter-style GPU metrics
// at /dcgm/metrics, so the control plane's external health checks have a real target.
// Admin API: GET/POST/DELETE /admin/mode, POST /admin/gpu {xid}, GET /admin/stats.
import { guardHandler, requestPath, requireLabCaller } from '../protocol/http-guard.js';
import { Registry } from 'prom-client';
import { registerProcessMetrics } from '../record/process-metrics.js';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock, TimerHandle } from '../core/clock.js';
import { validateChatRequest } from '../protocol/chat-request.js';
import { errorMessage } from '../core/errors.js';
import { BodyTooLargeError, listenHttp, readBody, sendError } from '../protocol/openai-http.js';
import { sseData } from '../protocol/sse.js';
import { DEFAULT_AFTER_TOKENS, MisbehaviourState, parseMisbehaviour, type MisbehaviourSpec } from './misbehaviour.js';
import { answerPlan, countTokens, promptKey, promptTokens, tokenAt } from '../protocol/tokens.js';

export interface StandinOptions {
  readonly host: string;
  readonly port?: number;
  /** Model name served (requests naming another model get 404). */
  readonly modelName: string;
  /** Model version: salts the deterministic answers and is sent as system_fingerprint. */
  readonly modelVersion: string;
  /** Prompt plus max_tokens beyond this is answered 400 context_length_exceeded. */
  readonly contextLength: number;
  /** Whether vLLM's continue_final_message (assistant prefill) is supported; otherwise 400. */
  readonly assistantPrefill: boolean;
  readonly firstTokenMs: number;
  readonly tokenMs: number;
  readonly clock: Clock;
  readonly initial?: MisbehaviourSpec;
  /** When set, every API route (not /admin) requires `Authorization: Bearer <apiKey>`, else 401. */
  readonly apiKey?: string;
}

export const DEFAULT_STANDIN: Omit<StandinOptions, 'host' | 'clock'> = Object.freeze({
  modelName: 'llama-3-8b-instruct',
  modelVersion: 'v1',
  contextLength: 8192,
  assistantPrefill: true,
  firstTokenMs: 20,
  tokenMs: 4,
});

export interface RunningStandin {
  readonly url: string;
  readonly state: MisbehaviourState;
  /** Chat-completion requests received (every attempt, whatever its outcome). */
  requests(): number;
  /** Answers completed in full. */
  completions(): number;
  close(): Promise<void>;
}

const BODY_MAX_BYTES = 1 << 20;

export async function startUpstreamStandin(opts: StandinOptions): Promise<RunningStandin> {
  const { clock, modelName } = opts;
  const state = new MisbehaviourState();
  if (opts.initial) state.set(opts.initial, clock.nowMs());
  let requests = 0;
  let completions = 0;
  let running = 0;
  let xidErrors = 0;
  let seq = 0;
  const timers = new Set<TimerHandle>();
  const after = (ms: number, fn: () => void): void => {
    const t = clock.setTimer(ms, () => {
      timers.delete(t);
      fn();
    });
    timers.add(t);
  };

  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
  };

  async function completionsRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    requests += 1;
    const spec = state.take(clock.nowMs());
    const mode = spec?.mode ?? 'ok';
    if (mode === 'reset' || mode === 'down') return void req.socket.destroy();
    if (mode === 'hang') return void req.resume();
    let raw: string;
    try {
      raw = await readBody(req, BODY_MAX_BYTES);
    } catch (err) {
      if (err instanceof BodyTooLargeError) sendError(res, 413, err.message, 'body_too_large');
      return;
    }
    const parsed = validateChatRequest(raw);
    if (!parsed.ok) return sendError(res, 400, parsed.error.message, 'invalid_request', parsed.error.param);
    const body = parsed.request;
    if (body.model !== undefined && body.model !== modelName) return sendError(res, 404, `The model \`${body.model}\` does not exist.`, 'model_not_found', 'model');
    if (mode === 'rate-limit') {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (spec?.retryAfterS !== undefined) headers['retry-after'] = String(spec.retryAfterS);
      return void res.writeHead(429, headers).end(JSON.stringify({ error: { message: 'Rate limit reached for requests', type: 'rate_limit_error', param: null, code: 'rate_limit_exceeded' } }));
    }
    if (mode === 'server-error') {
      const status = spec?.status ?? 500;
      return void res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ error: { message: `upstream internal error (stand-in ${status})`, type: 'server_error', param: null, code: 'internal_error' } }));
    }
    if (mode === 'content-policy') {
      return sendError(res, 400, 'Your request was rejected as a result of our safety system: the prompt was flagged (category: violence).', 'content_policy_violation', 'messages');
    }
    const last = body.messages[body.messages.length - 1]!;
    const continuation = body.continue_final_message === true && last.role === 'assistant';
    if (continuation && !opts.assistantPrefill) {
      return sendError(res, 400, 'continue_final_message is not supported by this server', 'unsupported_parameter', 'continue_final_message');
    }
    const promptMessages = continuation ? body.messages.slice(0, -1) : body.messages;
    const startPosition = continuation ? countTokens(last.content) : 0;
    const maxTokens = body.max_tokens ?? body.max_completion_tokens;
    const prefillTokens = promptTokens(promptMessages) + startPosition;
    if (mode === 'context-length' || prefillTokens + (maxTokens ?? 0) > opts.contextLength) {
      return sendError(
        res,
        400,
        `This model's maximum context length is ${opts.contextLength} tokens. However, you requested ${prefillTokens + (maxTokens ?? 0)} tokens (${prefillTokens} in the messages, ${maxTokens ?? 0} in the completion). Please reduce the length of the messages or completion.`,
        'context_length_exceeded',
        'messages',
      );
    }
    const key = promptKey(promptMessages);
    const seed = body.seed ?? 0;
    const plan = answerPlan(opts.modelVersion, key, seed, maxTokens === undefined ? undefined : startPosition + maxTokens);
    const newTokens = Math.max(0, plan.length - startPosition);
    const id = `chatcmpl-standin-${(seq++).toString(36)}`;
    const created = Math.floor(clock.nowMs() / 1000);
    const usage = { prompt_tokens: prefillTokens, completion_tokens: newTokens, total_tokens: prefillTokens + newTokens };
    const afterTokens = spec?.afterTokens ?? DEFAULT_AFTER_TOKENS;
    const chunk = (delta: Record<string, unknown>, finishReason: string | null): string =>
      sseData({ id, object: 'chat.completion.chunk', created, model: modelName, system_fingerprint: opts.modelVersion, choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }] });
    let closed = false;
    res.on('close', () => (closed = true));
    running += 1;
    const finished = (): void => {
      running = Math.max(0, running - 1);
    };
    res.once('close', finished);

    if (body.stream !== true) {
      after(opts.firstTokenMs + opts.tokenMs * newTokens, () => {
        if (closed) return;
        let text = '';
        for (let i = 0; i < newTokens; i++) text += tokenAt(opts.modelVersion, key, seed, startPosition + i);
        if (mode === 'stall' || mode === 'no-done') return; // never answers in full
        if (mode === 'cut' || mode === 'malformed') return void res.socket?.destroy();
        completions += 1;
        json(res, 200, { id, object: 'chat.completion', created, model: modelName, system_fingerprint: opts.modelVersion, choices: [{ index: 0, message: { role: 'assistant', content: text }, logprobs: null, finish_reason: plan.finishReason }], usage });
      });
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    res.write(chunk({ role: 'assistant', content: '' }, null));
    const includeUsage = body.stream_options?.include_usage === true;
    const step = (i: number): void => {
      if (closed) return;
      if (i === afterTokens && i < newTokens) {
        if (mode === 'stall') return; // stays open, sends nothing more
        if (mode === 'cut') return void res.socket?.destroy();
        if (mode === 'malformed') res.write('data: {"choices":[{"index":0,"delta":{"content":\n\n');
      }
      if (i < newTokens) {
        res.write(chunk({ content: tokenAt(opts.modelVersion, key, seed, startPosition + i) }, null));
        after(opts.tokenMs, () => step(i + 1));
        return;
      }
      res.write(chunk({}, plan.finishReason));
      if (includeUsage) res.write(sseData({ id, object: 'chat.completion.chunk', created, model: modelName, system_fingerprint: opts.modelVersion, choices: [], usage }));
      completions += 1;
      if (mode === 'no-done') return; // the answer is complete but [DONE] never comes
      res.end(sseData('[DONE]'));
    };
    after(opts.firstTokenMs, () => step(0));
  }

  async function admin(req: IncomingMessage, res: ServerResponse, url: string): Promise<void> {
    const now = clock.nowMs();
    if (url === '/admin/mode' && req.method === 'GET') return json(res, 200, state.describe(now));
    if (url === '/admin/mode' && req.method === 'DELETE') {
      state.clear();
      return json(res, 200, state.describe(now));
    }
    if (url === '/admin/stats' && req.method === 'GET') return json(res, 200, { requests, completions, running, xidErrors, ...state.describe(now) });
    const raw = await readBody(req, 64 * 1024);
    let data: unknown;
    try {
      data = raw ? JSON.parse(raw) : {};
    } catch (err) {
      return sendError(res, 400, `body is not valid JSON: ${errorMessage(err)}`, 'invalid_request');
    }
    if (url === '/admin/mode' && req.method === 'POST') {
      try {
        state.set(parseMisbehaviour(data), now);
      } catch (err) {
        return sendError(res, 400, errorMessage(err), 'invalid_request');
      }
      return json(res, 200, state.describe(now));
    }
    if (url === '/admin/gpu' && req.method === 'POST') {
      const xid = (data as { xid?: unknown }).xid;
      if (typeof xid !== 'number' || !Number.isInteger(xid) || xid < 0) return sendError(res, 400, 'xid: expected a non-negative integer (0 clears)', 'invalid_request', 'xid');
      xidErrors = xid;
      return json(res, 200, { xidErrors });
    }
    sendError(res, 404, `no admin route ${req.method} ${url}`, 'not_found');
  }

  function metricsText(): string {
    const l = `{model_name="${modelName}"}`;
    return [
      '# TYPE vllm:num_requests_running gauge',
      `vllm:num_requests_running${l} ${running}`,
      '# TYPE vllm:num_requests_waiting gauge',
      `vllm:num_requests_waiting${l} 0`,
      '# TYPE vllm:gpu_cache_usage_perc gauge',
      `vllm:gpu_cache_usage_perc${l} 0`,
      '# TYPE vllm:request_success_total counter',
      `vllm:request_success_total${l} ${completions}`,
      '',
    ].join('\n');
  }

  // this process's event-loop delay and utilisation, after the vLLM-named lines
  const processRegistry = new Registry();
  registerProcessMetrics(processRegistry, 50);
  const server: Server = createServer(guardHandler((req, res) => {
    const url = requestPath(req);
    if (url.startsWith('/admin/')) {
      // the fault API: in a lab, only lab components (the chaos runner's commands carry
      // $HALAB_AUTH_HEADER, `halab standin` its own token) may change how this upstream behaves
      if (!requireLabCaller(req, res, () => undefined)) return;
      return admin(req, res, url);
    }
    if (opts.apiKey && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      req.resume();
      return sendError(res, 401, 'Incorrect API key provided', 'invalid_api_key');
    }
    const chat = req.method === 'POST' && url === '/v1/chat/completions';
    if (state.down(clock.nowMs())) {
      if (chat) requests += 1;
      return void req.socket.destroy();
    }
    if (chat) {
      completionsRoute(req, res).catch((err: Error) => sendError(res, 500, `stand-in error: ${err.message}`, 'internal_error'));
      return;
    }
    if (req.method !== 'GET') return sendError(res, 404, `no route for ${req.method} ${url}`, 'not_found');
    if (url === '/health') return json(res, 200, { status: 'ok' });
    if (url === '/v1/models') return json(res, 200, { object: 'list', data: [{ id: modelName, object: 'model', created: 0, owned_by: 'halab-standin', max_model_len: opts.contextLength }] });
    if (url === '/metrics') {
      return void processRegistry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(metricsText() + text))
        .catch((err: Error) => sendError(res, 500, err.message, 'metrics_error'));
    }
    if (url === '/info') return json(res, 200, { model_id: modelName, model_sha: opts.modelVersion, max_input_tokens: opts.contextLength, max_total_tokens: opts.contextLength, version: 'standin' });
    if (url === '/slots') return json(res, 200, [{ id: 0, is_processing: running > 0, n_ctx: opts.contextLength }]);
    if (url === '/dcgm/metrics') {
      return void res
        .writeHead(200, { 'content-type': 'text/plain; version=0.0.4' })
        .end(`# TYPE DCGM_FI_DEV_XID_ERRORS gauge\nDCGM_FI_DEV_XID_ERRORS{gpu="0"} ${xidErrors}\n# TYPE DCGM_FI_DEV_GPU_TEMP gauge\nDCGM_FI_DEV_GPU_TEMP{gpu="0"} 55\n`);
    }
    sendError(res, 404, `no route for GET ${url.slice(0, 200)}`, 'not_found');
  }));
  const bound = await listenHttp(server, opts.host, opts.port ?? 0);
  return {
    url: bound.url,
    state,
    requests: () => requests,
    completions: () => completions,
    close: () => {
      for (const t of timers) t.cancel();
      timers.clear();
      return bound.close();
    },
  };
}
