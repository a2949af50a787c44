// How a completion reaches the client: as an SSE stream (the first token commits a 200) or as one
// chat.completion JSON body. Errors use the OpenAI error shape; mid-stream failures become an
// explicit in-band error event and the stream ends without [DONE].
import type { ServerResponse } from 'node:http';
import { sendError } from '../../protocol/openai-http.js';
import { sseData } from '../../protocol/sse.js';
import type { CompletionOutcome, CompletionSink } from './completion.js';
import type { Usage } from './upstream-attempt.js';

interface SinkMeta {
  readonly id: string;
  readonly model: string;
  readonly createdS: number;
  readonly region: string;
  readonly includeUsage: boolean;
  /** A client that leaves more than this unread is cut (bounded memory per stream); absent: no bound. */
  readonly bufferMaxBytes?: number;
}

function extension(outcome: CompletionOutcome, region: string): Record<string, unknown> {
  return {
    replicas: outcome.replicas,
    resumes: outcome.resumes,
    region,
    ...(outcome.model ? { model: outcome.model, group: outcome.group } : {}),
    ...(outcome.attempts ? { attempts: outcome.attempts } : {}),
  };
}

/**
 * A token chunk's bytes: the fixed part before the content (rebuilt only when the model or
 * version changes), the content literal, and the fixed end. Byte for byte what
 * sseData({ id, object, created, model, system_fingerprint, choices: [{ index, delta: { content }, finish_reason: null }] }) writes.
 */
export class TokenChunks {
  private key: string | undefined;
  private head = Buffer.alloc(0);
  private static readonly TAIL = Buffer.from('},"finish_reason":null}]}\n\n');

  constructor(
    private readonly id: string,
    private readonly createdS: number,
  ) {}

  chunk(model: string, version: string | undefined, literal: Buffer): Buffer {
    const key = `${model}\u0000${version ?? '\u0001'}`;
    if (key !== this.key) {
      this.key = key;
      this.head = Buffer.from(`data: {"id":${JSON.stringify(this.id)},"object":"chat.completion.chunk","created":${this.createdS},"model":${JSON.stringify(model)},"system_fingerprint":${JSON.stringify(version ?? null)},"choices":[{"index":0,"delta":{"content":`);
    }
    return Buffer.concat([this.head, literal, TokenChunks.TAIL], this.head.length + literal.length + TokenChunks.TAIL.length);
  }
}

export function streamingSink(res: ServerResponse, meta: SinkMeta): CompletionSink {
  let model = meta.model;
  const chunk = (delta: Record<string, unknown>, finishReason: string | null, version: string | undefined, extra: Record<string, unknown> = {}) =>
    sseData({
      id: meta.id,
      object: 'chat.completion.chunk',
      created: meta.createdS,
      model,
      system_fingerprint: version ?? null,
      choices: [{ index: 0, delta, finish_reason: finishReason }],
      ...extra,
    });
  const commit = (version: string | undefined, firstReplica: string | undefined): void => {
    if (res.headersSent) return;
    res.writeHead(200, {
      'content-type': 'text/event-stream',
      'cache-control': 'no-cache',
      connection: 'keep-alive',
      ...(firstReplica ? { 'x-halab-replica': firstReplica } : {}),
    });
    res.write(chunk({ role: 'assistant', content: '' }, null, version));
  };
  let firstReplica: string | undefined;
  const tokens = new TokenChunks(meta.id, meta.createdS);
  return {
    token(text, version, answeredBy, literal) {
      if (answeredBy) model = answeredBy;
      commit(version, firstReplica);
      // the chunk JSON.stringify would write, around the token's literal (the upstream's bytes when given)
      res.write(tokens.chunk(model, version, literal ?? Buffer.from(JSON.stringify(text))));
      // a reader this slow would make the proxy buffer its whole answer: cut it, with the upstream attempt
      if (meta.bufferMaxBytes !== undefined && res.writableLength > meta.bufferMaxBytes) res.destroy();
    },
    done(finishReason, usage: Usage, outcome) {
      if (outcome.model) model = outcome.model;
      firstReplica ??= outcome.replicas[0];
      commit(outcome.version, firstReplica);
      res.write(chunk({}, finishReason, outcome.version, { halab: extension(outcome, meta.region) }));
      if (meta.includeUsage) {
        res.write(sseData({ id: meta.id, object: 'chat.completion.chunk', created: meta.createdS, model, choices: [], usage }));
      }
      res.end(sseData('[DONE]'));
    },
    fail(status, message, outcome, passthrough) {
      if (!res.headersSent) {
        if (passthrough) res.writeHead(status, { 'content-type': passthrough.contentType }).end(passthrough.body);
        else sendError(res, status, message, status === 429 ? 'overloaded' : 'upstream_unavailable', null, outcome.retryAfterS ?? 1);
        return;
      }
      res.end(sseData({ error: { message, type: 'server_error', param: null, code: 'stream_interrupted' }, halab: extension(outcome, meta.region) }));
    },
  };
}

export function bufferedSink(res: ServerResponse, meta: SinkMeta): CompletionSink {
  let text = '';
  return {
    token(t) {
      text += t;
    },
    done(finishReason, usage, outcome) {
      res.writeHead(200, { 'content-type': 'application/json', ...(outcome.replicas[0] ? { 'x-halab-replica': outcome.replicas[0] } : {}) });
      res.end(
        JSON.stringify({
          id: meta.id,
          object: 'chat.completion',
          created: meta.createdS,
          model: outcome.model ?? meta.model,
          system_fingerprint: outcome.version ?? null,
          choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs: null }],
          usage,
          halab: extension(outcome, meta.region),
        }),
      );
    },
    fail(status, message, outcome, passthrough) {
      if (passthrough) res.writeHead(status, { 'content-type': passthrough.contentType }).end(passthrough.body);
      else sendError(res, status, message, status === 429 ? 'overloaded' : 'upstream_unavailable', null, outcome.retryAfterS ?? 1);
    },
  };
}
