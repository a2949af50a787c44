// What the gateway does after a failed upstream attempt, pure: whether the same upstream may be
// tried again for this request, whether the failure ejects it at once or counts towards ejection,
// how a 4xx is classified, and how a stream interrupted mid-answer can be continued on a given
// upstream group. The backoff itself is src/policy/backoff.ts.
import type { ChatRequest } from '../protocol/chat-request.js';
import type { UpstreamGroup } from '../config/model-routes.js';

export type FailureKind = 'connect' | 'reset' | 'status' | 'timeout' | 'stall' | 'cut' | 'overload' | 'malformed';

export interface FailureDecision {
  /** The same upstream may get one more attempt of this request (after a jittered backoff). */
  readonly retrySame: boolean;
  /** Eject (open the circuit) at once instead of counting towards consecutiveFailuresToEject. */
  readonly ejectNow: boolean;
}

const DECISIONS: Record<FailureKind, FailureDecision> = {
  // refused: nothing listens; a retry would be refused too
  connect: { retrySame: false, ejectNow: true },
  // reset before headers, or a 5xx: often transient — retry once, eject when it repeats
  reset: { retrySame: true, ejectNow: false },
  status: { retrySame: true, ejectNow: false },
  // accepted and silent: fail over at once, never retry the silent route
  timeout: { retrySame: false, ejectNow: true },
  stall: { retrySame: false, ejectNow: true },
  cut: { retrySame: false, ejectNow: true },
  malformed: { retrySame: false, ejectNow: true },
  // 429: not a failure of health; the upstream is skipped until Retry-After or a backoff
  overload: { retrySame: true, ejectNow: false },
};

export function failureDecision(kind: FailureKind): FailureDecision {
  return DECISIONS[kind];
}

export type ClientErrorClass = 'context-length' | 'content-policy' | 'other';

/** Classifies a 4xx body from vLLM, TGI, llama.cpp or OpenAI-style APIs. */
export function classifyClientError(status: number, body: string): ClientErrorClass {
  if (status !== 400 && status !== 413 && status !== 422) return 'other';
  const text = body.toLowerCase();
  if (/context_length_exceeded|maximum context length|context length|exceeds the context|too many tokens|input validation error: `inputs` tokens/.test(text)) return 'context-length';
  if (/content_policy|content_filter|safety system|flagged|content management policy/.test(text)) return 'content-policy';
  return 'other';
}

/** The reason text of an OpenAI-style error body (or the body itself). */
export function errorReason(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: { message?: string } | string; message?: string };
    const e = parsed.error;
    const message = typeof e === 'string' ? e : (e?.message ?? parsed.message);
    if (message) return message;
  } catch {
    // not JSON: the raw text
  }
  return body.slice(0, 300);
}

export type ContinuationMode = 'fresh' | 'replay' | 'prefill';

/**
 * How an attempt on `group` goes on after `sentTokens` tokens were sent: a fresh request when none
 * were; token-exact replay when the group is deterministic and the request is seeded at
 * temperature 0 (regenerate, check the sent prefix, continue); assistant-prefill continuation
 * when the group supports it; undefined when the group cannot continue the answer. `ruledOut`
 * holds "group:mode" pairs that already failed for this request.
 */
export function continuationMode(group: UpstreamGroup, req: ChatRequest, sentTokens: number, ruledOut: ReadonlySet<string>): ContinuationMode | undefined {
  if (sentTokens === 0) return 'fresh';
  const seeded = req.seed !== undefined && (req.temperature ?? 1) === 0;
  if (group.deterministic && seeded && !ruledOut.has(`${group.name}:replay`)) return 'replay';
  if (group.assistantPrefill && !ruledOut.has(`${group.name}:prefill`)) return 'prefill';
  return undefined;
}
