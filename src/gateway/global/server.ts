// The global load balancer's HTTP edge: the client entry point of the whole service. OpenAI
// /v1/chat/completions (geo-routed by the client-region header, failing over across regions),
// GET /v1/chat/completions/{id} (stored completions, from any region that has one), /v1/models,
// /health (200 while some region is available) and /status (per-region state, JSON).
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { validateChatRequest } from '../../protocol/chat-request.js';
import { BodyTooLargeError, clientIdFrom, listenHttp, readBody, sendError } from '../../protocol/openai-http.js';
import type { GlbConfig } from './config.js';
import { runGlbCompletion } from './completion.js';
import { fetchStoredCompletion } from './stored.js';
import type { GlbRegions } from './regions.js';
import { bufferedSink, streamingSink } from '../regional/openai-sinks.js';
import type { CompletionSink } from '../regional/completion.js';
import type { GlbMetrics } from './metrics.js';
import { decodePathPart, guardHandler, requestPath, stripLabHeaders } from '../../protocol/http-guard.js';
import { newCompletionId } from '../../protocol/openai-http.js';
import { EV } from '../../record/event-types.js';
import { AdmissionGate } from '../regional/admission-gate.js';
import { RetryBudget } from '../../policy/retry-budget.js';
import { startAcceptClock } from '../../core/accept-time.js';
import { onFirstByte } from '../regional/first-byte.js';

/** Counts each completion's outcome by home and serving region. */
function counted(sink: CompletionSink, metrics: GlbMetrics | undefined, home: string, region: () => string): CompletionSink {
  if (!metrics) return sink;
  let sent = false;
  return {
    token(text, version, model, literal) {
      sent = true;
      sink.token(text, version, model, literal);
    },
    done(reason, usage, outcome) {
      metrics.requests.inc({ home, region: region(), outcome: 'ok' });
      sink.done(reason, usage, outcome);
    },
    fail(status, message, outcome, passthrough) {
      metrics.requests.inc({ home, region: region(), outcome: sent ? 'interrupted' : status < 500 && status !== 429 ? 'invalid' : 'failed' });
      sink.fail(status, message, outcome, passthrough);
    },
  };
}

export interface GlbOptions {
  readonly modelName: string;
  /** Model names clients may ask for, the first the default: the topology's routes (default: modelName). */
  readonly models?: readonly string[];
  readonly defaultRegion: string;
  readonly config: GlbConfig;
  readonly regions: GlbRegions;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly metrics?: GlbMetrics;
}

export interface GlbServer {
  readonly url: string;
  readonly server: Server;
  close(): Promise<void>;
}

/** The client's home region: the header when it names a known region, else the default. */
export function homeRegion(header: string | string[] | undefined, regions: GlbRegions, defaultRegion: string): string {
  const value = (Array.isArray(header) ? header[0] : header)?.trim();
  return value && regions.has(value) ? value : defaultRegion;
}

export async function startGlbServer(opts: GlbOptions, host: string, port = 0): Promise<GlbServer> {
  const { config, regions, clock, events } = opts;
  const models = opts.models && opts.models.length > 0 ? opts.models : [opts.modelName];
  opts.metrics?.bindRegions(() => regions.status().map((r) => ({ region: String(r.region), available: r.available === true })));
  let inFlight = 0;
  const gate = new AdmissionGate(config, clock);
  const accept = startAcceptClock(clock);
  const budget = new RetryBudget({ ratio: config.retryBudgetRatio, minRetries: config.retryBudgetMinRetries });

  const handlerFailed = (err: unknown, req: IncomingMessage): void => {
    events.emit(EV.httpHandlerFailed, 'glb', err instanceof Error ? err.message : String(err), { method: String(req.method), path: requestPath(req).slice(0, 200) });
  };
  const server = createServer(guardHandler((req, res) => {
    const url = requestPath(req);
    // the client-region hint is the one x-halab-* header a client may send
    stripLabHeaders(req, [config.regionHeader]);
    const authorization = typeof req.headers.authorization === 'string' ? req.headers.authorization : undefined;
    if (req.method === 'POST' && url === '/v1/chat/completions') {
      const acceptedMs = accept.acceptedMs();
      if (inFlight >= config.inFlightMax) {
        req.resume();
        return sendError(res, 429, `global load balancer is at its limit of ${config.inFlightMax} requests in flight`, 'overloaded', null, config.retryAfterS);
      }
      inFlight += 1;
      const controller = new AbortController();
      res.on('close', () => {
        if (!res.writableFinished) controller.abort(new Error('client disconnected'));
      });
      let release: (() => void) | undefined;
      let endRequest: (() => void) | undefined;
      (async () => {
        const client = clientIdFrom(req.headers[config.clientIdHeader]);
        const admission = await gate.enter(controller.signal, client);
        if (!admission.admitted) {
          req.resume();
          return sendError(res, 429, `global load balancer is shedding load: ${admission.reason}`, 'overloaded', null, admission.retryAfterS);
        }
        release = admission.release;
        const admittedInFlight = admission.inFlight;
        endRequest = budget.beginRequest();
        let raw: string;
        try {
          raw = await readBody(req, config.bodyMaxBytes);
        } catch (err) {
          if (err instanceof BodyTooLargeError) sendError(res, 413, `request body exceeds ${config.bodyMaxBytes} bytes`, 'body_too_large');
          return;
        }
        const parsed = validateChatRequest(raw);
        if (!parsed.ok) return sendError(res, 400, parsed.error.message, 'invalid_request', parsed.error.param);
        const request = parsed.request;
        if (request.model !== undefined && !models.includes(request.model)) {
          return sendError(res, 404, `The model \`${request.model}\` does not exist; this service serves ${models.map((m) => `\`${m}\``).join(', ')}`, 'model_not_found', 'model');
        }
        const model = request.model ?? models[0]!;
        const home = homeRegion(req.headers[config.regionHeader], regions, opts.defaultRegion);
        // The final chunk names the region that finished the answer.
        const meta = { id: newCompletionId(), model, createdS: Math.floor(clock.nowMs() / 1000), region: home, includeUsage: request.stream_options?.include_usage === true, bufferMaxBytes: config.clientBufferMaxBytes };
        const sink = onFirstByte(counted(request.stream ? streamingSink(res, meta) : bufferedSink(res, meta), opts.metrics, home, () => meta.region), () => {
          const ms = clock.monoMs() - acceptedMs;
          gate.observeFirstByte(ms, admittedInFlight);
          opts.metrics?.ttft.observe(ms / 1000);
        });
        res.setHeader('x-halab-home-region', home);
        await runGlbCompletion({ ...request, model }, home, { regions, config, clock, events, signal: controller.signal, retryBudget: budget, onRegion: (r) => (meta.region = r), completionId: meta.id, ...(authorization ? { authorization } : {}), ...(client ? { clientId: client } : {}) }, sink);
      })()
        .catch((err) => sendError(res, 500, `global load balancer error: ${(err as Error).message}`, 'internal_error'))
        .finally(() => {
          endRequest?.();
          release?.();
          inFlight -= 1;
        });
      return;
    }
    if (req.method === 'GET' && url === '/v1/models') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ object: 'list', data: models.map((id) => ({ id, object: 'model', created: 0, owned_by: 'halab' })) }));
    }
    if (req.method === 'GET' && url === '/health') {
      const available = regions.available();
      res.writeHead(available.length > 0 ? 200 : 503, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ status: available.length > 0 ? 'ok' : 'no-region', available }));
    }
    if (req.method === 'GET' && url === '/metrics' && opts.metrics) {
      const m = opts.metrics;
      m.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': m.registry.contentType }).end(text))
        .catch((err: Error) => sendError(res, 500, err.message, 'metrics_error'));
      return;
    }
    if (req.method === 'GET' && url.startsWith('/v1/chat/completions/')) {
      const home = homeRegion(req.headers[config.regionHeader], regions, opts.defaultRegion);
      return void fetchStoredCompletion(regions, home, decodePathPart(url.slice('/v1/chat/completions/'.length)), config.storedReadTimeoutMs, authorization)
        .then((a) => res.writeHead(a.status, { 'content-type': a.contentType }).end(a.body))
        .catch((err: Error) => sendError(res, 500, `stored completion: ${err.message}`, 'internal_error'));
    }
    if (req.method === 'GET' && url === '/status') {
      res.writeHead(200, { 'content-type': 'application/json' });
      return void res.end(JSON.stringify({ defaultRegion: opts.defaultRegion, inFlight, admission: { ...gate.stats(), retryBudget: budget.stats() }, regions: regions.status() }));
    }
    sendError(res, 404, `no route for ${req.method} ${url.slice(0, 200)}`, 'not_found');
  }, handlerFailed));
  const bound = await listenHttp(server, host, port);
  return {
    ...bound,
    server,
    close: async () => {
      gate.close();
      accept.stop();
      await bound.close();
    },
  };
}
