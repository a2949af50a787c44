// HTTP routes of stored completions: GET /v1/chat/completions/{id} (OpenAI shape, 404 when this
// region does not have it) and the peer-replication endpoint POST /internal/replicate.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { BodyTooLargeError, readBody, sendError } from '../../protocol/openai-http.js';
import { configDigest } from '../../store/config-replicator.js';
import type { StateStore } from '../../store/state-store.js';
import { mayRead, publicCompletion } from './completion-access.js';
import { validCompletionId, type StoredCompletion, type StoredCompletions } from './stored-completions.js';

/** A replication batch larger than this is refused (413). */
export const REPLICATE_BODY_MAX_BYTES = 32 << 20;

/** GET of a stored completion; `key` is the reader's API key (see completion-access.ts). */
export async function handleGetCompletion(sc: StoredCompletions, id: string, res: ServerResponse, key?: string): Promise<void> {
  if (!validCompletionId(id)) return sendError(res, 400, `"${id.slice(0, 80)}" is not a completion id`, 'invalid_request', 'completion_id');
  try {
    const c = await sc.get(id);
    if (!c || !mayRead(c, key)) return sendError(res, 404, `No stored completion found with id '${id}' in region ${sc.region}`, 'not_found', 'completion_id');
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(publicCompletion(c)));
  } catch (err) {
    sendError(res, 500, `reading stored completion ${id}: ${(err as Error).message}`, 'internal_error');
  }
}

export async function handleReplicate(sc: StoredCompletions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw: string;
  try {
    raw = await readBody(req, REPLICATE_BODY_MAX_BYTES);
  } catch (err) {
    if (err instanceof BodyTooLargeError) return sendError(res, 413, `replication batch exceeds ${REPLICATE_BODY_MAX_BYTES} bytes`, 'body_too_large');
    throw err;
  }
  let body: { from?: unknown; records?: unknown };
  try {
    body = JSON.parse(raw) as typeof body;
  } catch (err) {
    return sendError(res, 400, `replication body is not JSON: ${(err as Error).message}`, 'invalid_request');
  }
  if (!Array.isArray(body.records)) return sendError(res, 400, 'records: expected an array of stored completions', 'invalid_request', 'records');
  try {
    await sc.receive(body.records as StoredCompletion[]);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ stored: body.records.length, region: sc.region }));
  } catch (err) {
    sendError(res, 500, `storing replicated completions in ${sc.region}: ${(err as Error).message}`, 'internal_error');
  }
}

/**
 * PUT /internal/config: the control plane's model versions, deployments and routing config for
 * this region, kept durably under cp/<key>; answers with the digest of what is now stored.
 * GET /internal/config: the stored copy.
 */
export async function handleConfig(store: StateStore, region: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (req.method === 'GET') {
    const keys = Object.fromEntries([...(await store.list('cp/'))].map(([k, v]) => [k.slice(3), v]));
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ region, digest: configDigest(keys), keys }));
    return;
  }
  let body: { keys?: unknown };
  try {
    body = JSON.parse(await readBody(req, REPLICATE_BODY_MAX_BYTES)) as typeof body;
  } catch (err) {
    return sendError(res, 400, `config body: ${(err as Error).message}`, 'invalid_request');
  }
  if (!body.keys || typeof body.keys !== 'object' || Object.values(body.keys).some((v) => typeof v !== 'string')) {
    return sendError(res, 400, 'keys: expected an object of string values', 'invalid_request', 'keys');
  }
  const keys = body.keys as Record<string, string>;
  const stale = [...(await store.list('cp/')).keys()].filter((k) => !(k.slice(3) in keys));
  await store.batch(Object.entries(keys).map(([k, v]) => [`cp/${k}`, v]), stale);
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ region, digest: configDigest(keys) }));
}
