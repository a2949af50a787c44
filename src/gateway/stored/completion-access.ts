// Who may read a stored completion back: when the creating request carried an API key
// (Authorization: Bearer …), only a request with the same key — the store keeps its SHA-256, and
// the comparison is constant-time. Anyone else gets the same 404 as for an unknown id, so ids
// cannot be probed. Records without a key hash (created without a key) are readable by id alone.
import type { IncomingMessage } from 'node:http';
import { keyHash, sameHash } from '../../protocol/lab-auth.js';
import type { StoredCompletion } from './stored-completions.js';

/** The bearer key of a request's Authorization header, if it has one. */
export function bearerKey(req: IncomingMessage): string | undefined {
  const value = req.headers.authorization;
  const m = typeof value === 'string' ? /^Bearer\s+(\S.*)$/i.exec(value.trim()) : null;
  return m?.[1];
}

/** The key hash a stored completion records for the request that created it. */
export function creatorKeyHash(req: IncomingMessage): string | undefined {
  const key = bearerKey(req);
  return key === undefined ? undefined : keyHash(key);
}

/** Whether a reader presenting `key` may read `c`. */
export function mayRead(c: StoredCompletion, key: string | undefined): boolean {
  const required = c.halab.keyHash;
  if (required === undefined) return true;
  return key !== undefined && sameHash(required, keyHash(key));
}

/** The completion as a client sees it (no key hash). */
export function publicCompletion(c: StoredCompletion): StoredCompletion {
  const { keyHash: _hidden, ...halab } = c.halab;
  return { ...c, halab };
}
