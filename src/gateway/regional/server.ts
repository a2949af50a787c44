// The regional gateway's HTTP edge: OpenAI-compatible /v1/chat/completions and /v1/models, plus
// /health. Bounded: a body size limit and an in-flight cap answered with 429 + Retry-After.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import type { GatewayConfig } from './config.js';
import { runCompletion } from './completion.js';
import { bufferedSink, streamingSink } from './openai-sinks.js';
import { BodyTooLargeError, clientIdFrom, COMPLETION_ID_HEADER, completionIdFrom, listenHttp, newCompletionId, readBody, sendError } from '../../protocol/openai-http.js';
import type { UpstreamPool } from './upstream-pool.js';
import { AdmissionGate } from './admission-gate.js';
import { startAcceptClock } from '../../core/accept-time.js';
import { onFirstByte } from './first-byte.js';
import { RetryBudget } from '../../policy/retry-budget.js';
import type { GatewayMetrics } from './metrics.js';
import type { CompletionSink } from './completion.js';
import { validateChatRequest, type ChatRequest } from '../../protocol/chat-request.js';
import { promptTokens } from '../../protocol/tokens.js';
import { findRoute, type ModelRoute } from '../../config/model-routes.js';
import type { StoredCompletions } from '../stored/stored-completions.js';
import { storingSink } from './storing-sink.js';
import { handleConfig, handleGetCompletion, handleReplicate } from '../stored/stored-routes.js';
import type { StateStore } from '../../store/state-store.js';
import { CONFIG_PATH } from '../../store/config-replicator.js';
import { REPLICATE_PATH } from '../stored/replicator.js';
import { decodePathPart, guardHandler, requestPath, requireLabCaller, stripLabHeaders } from '../../protocol/http-guard.js';
import { EV } from '../../record/event-types.js';
import { bearerKey, creatorKeyHash } from '../stored/completion-access.js';

export interface GatewayOptions {
  readonly id: string;
  readonly region: string;
  readonly modelName: string;
  readonly config: GatewayConfig;
  readonly pool: UpstreamPool;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly metrics?: GatewayMetrics;
  /** Model routes with fallbacks (none: `modelName` on every upstream). */
  readonly routes?: readonly ModelRoute[];
  /** Stored completions (`store: true`, GET /v1/chat/completions/{id}, peer replication). */
  readonly completions?: StoredCompletions;
  /** The region's durable store, for the replicated control-plane configuration (/internal/config). */
  readonly regionStore?: StateStore;
}

export interface GatewayServer {
  readonly url: string;
  readonly server: Server;
  inFlight(): number;
  /** Admission control and retry budget counters. */
  admission(): Record<string, unknown>;
  close(): Promise<void>;
}

/**
 * When every group of the route declares its context length, a request too long for all of them
 * is answered 400 here, without touching an upstream.
 */
function overContext(route: ModelRoute, req: ChatRequest): string | undefined {
  const lengths = route.groups.map((g) => g.contextLengthTokens);
  if (lengths.length === 0 || lengths.some((l) => l === undefined)) return undefined;
  const largest = Math.max(...(lengths as number[]));
  const prompt = promptTokens(req.messages);
  const maxTokens = req.max_tokens ?? req.max_completion_tokens ?? 0;
  if (prompt + maxTokens <= largest) return undefined;
  return `This model's maximum context length is ${largest} tokens. However, you requested ${prompt + maxTokens} tokens (${prompt} in the messages, ${maxTokens} in the completion). Please reduce the length of the messages or completion.`;
}

/** Counts each completion's outcome and time to first token. */
function counted(sink: CompletionSink, opts: GatewayOptions, startedMs: number): CompletionSink {
  const m = opts.metrics;
  if (!m) return sink;
  let first = true;
  let sent = false;
  return {
    token(text, version, model, literal) {
      if (first) m.ttft.observe({ region: opts.region }, (opts.clock.monoMs() - startedMs) / 1000);
      first = false;
      sent = true;
      sink.token(text, version, model, literal);
    },
    done(reason, usage, outcome) {
      m.requests.inc({ region: opts.region, outcome: 'ok' });
      sink.done(reason, usage, outcome);
    },
    fail(status, message, outcome, passthrough) {
      m.requests.inc({ region: opts.region, outcome: sent ? 'interrupted' : status < 500 && status !== 429 ? 'invalid' : 'failed' });
      sink.fail(status, message, outcome, passthrough);
    },
  };
}

export async function startGatewayServer(opts: GatewayOptions, host: string, port = 0): Promise<GatewayServer> {
  const { config, pool, clock, events, metrics } = opts;
  const invalid = (): void => metrics?.requests.inc({ region: opts.region, outcome: 'invalid' });
  metrics?.bindGauges(() => inFlight, () => pool.available().length);
  let inFlight = 0;

  const gate = new AdmissionGate(config, clock);
  const accept = startAcceptClock(clock);
  const budget = new RetryBudget({ ratio: config.retryBudgetRatio, minRetries: config.retryBudgetMinRetries });

  async function completions(req: IncomingMessage, res: ServerResponse, controller: AbortController, acceptedMs: number, admittedInFlight: number): Promise<void> {
    let raw: string;
    try {
      raw = await readBody(req, config.bodyMaxBytes);
    } catch (err) {
      invalid();
      if (err instanceof BodyTooLargeError) sendError(res, 413, `request body exceeds ${config.bodyMaxBytes} bytes`, 'body_too_large');
      return;
    }
    const parsed = validateChatRequest(raw);
    if (!parsed.ok) invalid();
    if (!parsed.ok) return sendError(res, 400, parsed.error.message, 'invalid_request', parsed.error.param);
    const request = parsed.request;
    const route = opts.routes ? findRoute(opts.routes, request.model) : undefined;
    if (opts.routes ? !route : request.model !== undefined && request.model !== opts.modelName) {
      invalid();
      const served = opts.routes ? opts.routes.map((r) => `\`${r.model}\``).join(', ') : `\`${opts.modelName}\``;
      return sendError(res, 404, `The model \`${request.model}\` does not exist; this service serves ${served}`, 'model_not_found', 'model');
    }
    const tooLong = route ? overContext(route, request) : undefined;
    if (tooLong) {
      invalid();
      return sendError(res, 400, tooLong, 'context_length_exceeded', 'messages');
    }
    const meta = {
      // only a lab component (the global load balancer) names the id; its x-halab-* headers survive stripping
      id: completionIdFrom(req.headers[COMPLETION_ID_HEADER]) ?? newCompletionId(),
      model: route?.model ?? opts.modelName,
      createdS: Math.floor(clock.nowMs() / 1000),
      region: opts.region,
      includeUsage: request.stream_options?.include_usage === true,
      bufferMaxBytes: config.clientBufferMaxBytes,
    };
    let base = request.stream ? streamingSink(res, meta) : bufferedSink(res, meta);
    if (request.store === true && opts.completions) {
      const keyHash = creatorKeyHash(req);
      base = storingSink(base, opts.completions, { ...meta, messages: request.messages, ...(request.metadata ? { metadata: request.metadata } : {}), ...(keyHash ? { keyHash } : {}) }, clock);
    }
    const sink = onFirstByte(counted(base, opts, acceptedMs), () => gate.observeFirstByte(clock.monoMs() - acceptedMs, admittedInFlight));
    const model = route?.model ?? opts.modelName;
    await runCompletion(
      { ...request, model },
      { pool, config, clock, events, signal: controller.signal, retryBudget: budget, ...(route ? { route } : {}), ...(metrics ? { onAttempt: (group: string, outcome: string) => metrics.attempts.inc({ group, outcome }) } : {}) },
      sink,
    );
  }

  const refused = (req: IncomingMessage) => (reason: string): void => {
    events.emit(EV.authRefused, opts.id, reason, { surface: 'http', method: `${req.method} ${requestPath(req).slice(0, 200)}`, ...(req.socket.remoteAddress ? { peer: req.socket.remoteAddress } : {}) });
  };
  const handlerFailed = (err: unknown, req: IncomingMessage): void => {
    events.emit(EV.httpHandlerFailed, opts.id, err instanceof Error ? err.message : String(err), { method: String(req.method), path: requestPath(req).slice(0, 200) });
  };

  const server = createServer(guardHandler((req, res) => {
    const url = requestPath(req);
    stripLabHeaders(req);
    if (req.method === 'POST' && url === '/v1/chat/completions') {
      const acceptedMs = accept.acceptedMs();
      if (inFlight >= config.inFlightMax) {
        req.resume();
        metrics?.requests.inc({ region: opts.region, outcome: 'rejected' });
        return sendError(res, 429, `gateway ${opts.id} is at its limit of ${config.inFlightMax} requests in flight`, 'overloaded', null, config.retryAfterS);
      }
      inFlight += 1;
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort(new Error('client disconnected'));
      });
      let release: (() => void) | undefined;
      gate
        .enter(controller.signal, clientIdFrom(req.headers[config.clientIdHeader]))
        .then((admission) => {
          if (!admission.admitted) {
            req.resume();
            metrics?.requests.inc({ region: opts.region, outcome: 'rejected' });
            return sendError(res, 429, `gateway ${opts.id} is shedding load: ${admission.reason}`, 'overloaded', null, admission.retryAfterS);
          }
          release = admission.release;
          const endRequest = budget.beginRequest();
          return completions(req, res, controller, acceptedMs, admission.inFlight).finally(endRequest);
        })
        .catch((err) => sendError(res, 500, `gateway error: ${(err as Error).message}`, 'internal_error'))
        .finally(() => {
          release?.();
          inFlight -= 1;
        });
      return;
    }
    if (opts.completions && req.method === 'GET' && url.startsWith('/v1/chat/completions/')) {
      return void handleGetCompletion(opts.completions, decodePathPart(url.slice('/v1/chat/completions/'.length)), res, bearerKey(req)).catch((err: Error) => sendError(res, 500, `stored completion: ${err.message}`, 'internal_error'));
    }
    if (url.startsWith('/internal/') && !requireLabCaller(req, res, refused(req))) return;
    if (opts.completions && req.method === 'POST' && url === REPLICATE_PATH) {
      return void handleReplicate(opts.completions, req, res).catch((err: Error) => sendError(res, 500, `replicate: ${err.message}`, 'internal_error'));
    }
    if (opts.regionStore && (req.method === 'PUT' || req.method === 'GET') && url === CONFIG_PATH) {
      const store = opts.regionStore;
      return void handleConfig(store, opts.region, req, res).catch((err: Error) => sendError(res, 500, `config: ${err.message}`, 'internal_error'));
    }
    if (req.method === 'GET' && url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const names = opts.routes ? opts.routes.map((r) => r.model) : [opts.modelName];
      return void res.end(JSON.stringify({ object: 'list', data: names.map((id) => ({ id, object: 'model', created: 0, owned_by: 'halab' })) }));
    }
    if (req.method === 'GET' && url === '/metrics' && metrics) {
      metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': metrics.registry.contentType }).end(text))
        .catch((err: Error) => sendError(res, 500, err.message, 'metrics_error'));
      return;
    }
    if (req.method === 'GET' && url === '/health') {
      const available = pool.available().length;
      res.writeHead(available > 0 ? 200 : 503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: available > 0 ? 'ok' : 'no-upstreams', region: opts.region, available }));
    }
    sendError(res, 404, `no route for ${req.method} ${url.slice(0, 200)}`, 'not_found');
  }, handlerFailed));
  const bound = await listenHttp(server, host, port);
  return {
    ...bound,
    server,
    inFlight: () => inFlight,
    admission: () => ({ ...gate.stats(), retryBudget: budget.stats() }),
    close: async () => {
      gate.close();
      accept.stop();
      await bound.close();
    },
  };
}
