// Stored completions through the global load balancer: GET /v1/chat/completions/{id} asks the
// client's home region first and then the others in routing order, so a completion written before
// a failover is read from whichever region has it (the home region's, or its replica).
import { request } from 'undici';
import type { GlbRegions } from './regions.js';
import { labAuthHeaders } from '../../protocol/http-guard.js';

export interface StoredAnswer {
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** The first region's 200; else a 404 if some region answered one; else 503 naming the failures. */
/** `authorization`: the reader's Authorization header, passed on (a completion is readable only with its creator's key). */
export async function fetchStoredCompletion(regions: GlbRegions, home: string, id: string, timeoutMs: number, authorization?: string): Promise<StoredAnswer> {
  let notFound: StoredAnswer | undefined;
  const failures: string[] = [];
  for (const target of regions.ordered(home)) {
    try {
      const res = await request(`${target.url}/v1/chat/completions/${encodeURIComponent(id)}`, { signal: AbortSignal.timeout(timeoutMs), headers: { ...labAuthHeaders(), ...(authorization ? { authorization } : {}) } });
      const answer = { status: res.statusCode, body: await res.body.text(), contentType: String(res.headers['content-type'] ?? 'application/json') };
      if (answer.status === 200) return answer;
      if (answer.status === 404) notFound ??= answer;
      else failures.push(`${target.region}: status ${answer.status}`);
    } catch (err) {
      failures.push(`${target.region}: ${(err as Error).message}`);
    }
  }
  if (notFound) return notFound;
  return { status: 503, contentType: 'application/json', body: JSON.stringify({ error: { message: `no region could be asked for stored completion ${id}: ${failures.join('; ') || 'no region available'}`, type: 'unavailable', param: null, code: null } }) };
}
