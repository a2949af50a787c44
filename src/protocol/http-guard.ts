// Guards of every lab HTTP server: no request can crash the process (a handler's throw or rejection
// becomes a 500, a malformed URL a 400), and lab-internal authentication by the `x-halab-auth`
// header: internal routes refuse callers without valid lab credentials (401), and client-supplied
// `x-halab-*` headers are dropped unless a lab component sent them.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, sendError } from './openai-http.js';
import { AUTH_HEADER, currentLabAuth } from './lab-auth.js';

export type HttpHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** A request the handler could not parse: answered 400 with this message. */
export class BadRequestError extends Error {}

/**
 * Wraps a request listener: a synchronous throw or a rejected promise answers 500 (400 for a
 * BadRequestError or URIError), or ends the response when headers went out; `onError` hears of
 * each. Request and response errors (a client resetting) never reach the process.
 */
export function guardHandler(handler: HttpHandler, onError?: (err: unknown, req: IncomingMessage) => void): (req: IncomingMessage, res: ServerResponse) => void {
  const fail = (err: unknown, req: IncomingMessage, res: ServerResponse): void => {
    const client = err instanceof BadRequestError || err instanceof URIError || err instanceof BodyTooLargeError;
    if (!client) {
      try {
        onError?.(err, req);
      } catch {
        // reporting must not crash either
      }
    }
    if (res.headersSent) return void res.destroy();
    const message = err instanceof Error ? err.message : String(err);
    if (err instanceof BodyTooLargeError) return sendError(res, 413, message, 'body_too_large');
    sendError(res, client ? 400 : 500, client ? `bad request: ${message}` : `internal error: ${message}`, client ? 'invalid_request' : 'internal_error');
  };
  return (req, res) => {
    req.on('error', () => undefined);
    res.on('error', () => undefined);
    try {
      const done = handler(req, res);
      if (done && typeof done.then === 'function') done.then(undefined, (err: unknown) => fail(err, req, res));
    } catch (err) {
      fail(err, req, res);
    }
  };
}

/** Path of a request without its query (`/` when absent). */
export function requestPath(req: IncomingMessage): string {
  return (req.url ?? '/').split('?')[0] || '/';
}

/** decodeURIComponent that answers a malformed escape with a BadRequestError naming it. */
export function decodePathPart(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    throw new BadRequestError(`malformed percent-encoding in "${text.slice(0, 80)}"`);
  }
}

/** The lab identity the request's token proves; undefined without one (or outside a lab). */
export function labCaller(req: IncomingMessage): string | undefined {
  const token = req.headers[AUTH_HEADER];
  return currentLabAuth()?.verify(typeof token === 'string' ? token : undefined);
}

/**
 * Drops every `x-halab-*` request header but `keep` unless a lab component sent the request;
 * returns that component's identity (undefined for a client).
 */
export function stripLabHeaders(req: IncomingMessage, keep: readonly string[] = []): string | undefined {
  const caller = labCaller(req);
  if (caller) return caller;
  for (const name of Object.keys(req.headers)) if (name.startsWith('x-halab-') && !keep.includes(name)) delete req.headers[name];
  return undefined;
}

/**
 * For internal routes: true when the caller is an authenticated lab component (or this process is
 * not part of a lab); else answers 401 and tells `onRefused` why.
 */
export function requireLabCaller(req: IncomingMessage, res: ServerResponse, onRefused: (reason: string) => void): boolean {
  const auth = currentLabAuth();
  if (!auth) return true;
  const token = req.headers[AUTH_HEADER];
  if (auth.verify(typeof token === 'string' ? token : undefined)) return true;
  const reason = token === undefined ? 'no lab credentials' : 'lab credentials not valid for this lab';
  onRefused(reason);
  req.resume();
  sendError(res, 401, `${req.method} ${requestPath(req)}: ${reason}; this route is for lab components only`, 'unauthenticated', null, 1, { 'www-authenticate': 'HalabLab' });
  return false;
}

/** Header carrying this process's token, for requests to another component's internal routes. */
export function labAuthHeaders(): Record<string, string> {
  const auth = currentLabAuth();
  return auth ? { [AUTH_HEADER]: auth.token } : {};
}
