// The two probes an open circuit uses: a cheap check (GET /health, or /v1/models where an upstream
// has none, e.g. a hosted API) that says only that the endpoint answers, and a completion probe of
// one model (max_tokens 1, not streamed) — the only probe that can close a circuit.
import { request } from 'undici';
import type { Clock } from '../../core/clock.js';
import type { Upstream } from './upstream-pool.js';

/** The request a completion probe sends; marked so servers can tell it from client traffic. */
export const COMPLETION_PROBE_HEADER = 'x-halab-probe';

function authHeaders(upstream: Upstream): Record<string, string> {
  return upstream.apiKey ? { authorization: `Bearer ${upstream.apiKey}` } : {};
}

/** Whether the endpoint answers its cheap check 200 within timeoutMs. */
export async function cheapCheckOk(upstream: Upstream, clock: Clock, timeoutMs: number): Promise<boolean> {
  const controller = new AbortController();
  const timer = clock.setTimer(timeoutMs, () => controller.abort());
  try {
    for (const path of ['/health', '/v1/models']) {
      const res = await request(`${upstream.httpUrl}${path}`, { signal: controller.signal, headers: authHeaders(upstream) });
      await res.body.dump();
      if (res.statusCode !== 404) return res.statusCode === 200;
    }
    return false;
  } catch {
    return false;
  } finally {
    timer.cancel();
  }
}

/** A one-token completion of `model`: ok with a non-empty answer, or the reason it failed. */
export async function completionProbe(upstream: Upstream, model: string | undefined, clock: Clock, timeoutMs: number): Promise<{ ok: boolean; reason: string }> {
  const controller = new AbortController();
  const timer = clock.setTimer(timeoutMs, () => controller.abort());
  try {
    const res = await request(`${upstream.httpUrl}/v1/chat/completions`, {
      method: 'POST',
      signal: controller.signal,
      headers: { 'content-type': 'application/json', [COMPLETION_PROBE_HEADER]: 'circuit', ...authHeaders(upstream) },
      body: JSON.stringify({ ...(model ? { model } : {}), messages: [{ role: 'user', content: 'halab circuit probe: say ok' }], max_tokens: 1, temperature: 0, seed: 4242, stream: false }),
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) return { ok: false, reason: `completion probe of ${model ?? 'the model'}: status ${res.statusCode}` };
    const content = (JSON.parse(text) as { choices?: { message?: { content?: unknown } }[] }).choices?.[0]?.message?.content;
    return typeof content === 'string' && content.length > 0 ? { ok: true, reason: `completion probe of ${model ?? 'the model'} answered` } : { ok: false, reason: 'completion probe returned no content' };
  } catch (err) {
    return { ok: false, reason: controller.signal.aborted ? `completion probe timed out after ${timeoutMs}ms` : `completion probe failed: ${(err as Error).message}` };
  } finally {
    timer.cancel();
  }
}
