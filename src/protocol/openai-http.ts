// HTTP edge helpers shared by the gateway and the replica: bounded body reading and OpenAI-shaped
// error responses (with Retry-After on 429/503).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomUUID } from 'node:crypto';

export class BodyTooLargeError extends Error {
  constructor(readonly maxBytes: number) {
    super(`request body exceeds ${maxBytes} bytes`);
  }
}

/** Reads a request body up to maxBytes; rejects with BodyTooLargeError past it. */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (b: Buffer) => {
      size += b.length;
      if (size > maxBytes) {
        reject(new BodyTooLargeError(maxBytes));
        req.resume();
        return;
      }
      parts.push(b);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

export function openAiError(message: string, type: string, code: string | null, param: string | null = null): string {
  return JSON.stringify({ error: { message, type, param, code } });
}

/** Writes a JSON error response; 429 and 503 carry Retry-After. No-op once headers are sent. */
export function sendError(
  res: ServerResponse,
  status: number,
  message: string,
  code: string | null,
  param: string | null = null,
  retryAfterS = 1,
  extraHeaders: Record<string, string> = {},
): void {
  if (res.headersSent) return;
  const type = status >= 500 ? 'server_error' : status === 429 ? 'rate_limit_error' : status === 404 ? 'not_found_error' : 'invalid_request_error';
  const headers: Record<string, string> = { 'content-type': 'application/json', ...extraHeaders };
  if (status === 429 || status === 503) headers['retry-after'] = String(retryAfterS);
  res.writeHead(status, headers).end(openAiError(message, type, code, param));
}

export interface ListeningHttp {
  /** `http://host:port` of the bound server. */
  readonly url: string;
  /** Stops accepting and drops open connections (in-flight streams end). */
  close(): Promise<void>;
}

/** Binds an HTTP server on host:port (0: ephemeral), with keep-alive above common client idle times. */
export async function listenHttp(server: Server, host: string, port: number): Promise<ListeningHttp> {
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  return {
    url: `http://${host}:${(server.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** Header naming the client (a tenant, an integration) for fair-share load shedding. */
export const CLIENT_ID_HEADER = 'x-client-id';

/** A client id from a request header: at most 128 printable characters, else undefined. */
export function clientIdFrom(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && /^[\x21-\x7e]{1,128}$/.test(value) ? value : undefined;
}

/** Header by which the global load balancer tells a regional gateway the completion id its client sees. */
export const COMPLETION_ID_HEADER = 'x-halab-completion-id';

/** The completion id a request header carries, when it is one (`chatcmpl-…`, at most 100 characters). */
export function completionIdFrom(value: string | string[] | undefined): string | undefined {
  return typeof value === 'string' && /^chatcmpl-[\w.-]{1,90}$/.test(value) ? value : undefined;
}

/** A fresh completion id: `chatcmpl-` and a random UUID (122 random bits), never time-based. */
export function newCompletionId(): string {
  return `chatcmpl-${randomUUID().replace(/-/g, '')}`;
}
