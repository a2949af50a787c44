// What the misbehaving-upstream stand-in does to the next requests, pure state: one mode at a
// time, optionally limited to a number of requests (`count`) or a period (`forMs`), after which it
// behaves again. The HTTP server (upstream-standin.ts) asks it per request.
import { z } from 'zod';
import { HalabError } from '../core/errors.js';

export const MISBEHAVIOURS = [
  'ok',
  /** 429, with Retry-After when `retryAfterS` is given, without it otherwise. */
  'rate-limit',
  /** A 5xx (`status`, default 500) before any token. */
  'server-error',
  /** The connection is reset before any header is sent. */
  'reset',
  /** The request is accepted and never answered. */
  'hang',
  /** The stream stops after `afterTokens` tokens and stays open. */
  'stall',
  /** The connection is cut after `afterTokens` tokens (no finish reason, no [DONE]). */
  'cut',
  /** An event that is not valid JSON is sent after `afterTokens` tokens; the stream goes on. */
  'malformed',
  /** The answer finishes (finish reason, usage) but [DONE] never comes and the stream stays open. */
  'no-done',
  /** 400 context_length_exceeded, as vLLM and OpenAI send it. */
  'context-length',
  /** 400 content policy violation, with a reason. */
  'content-policy',
  /** Every connection (health checks included) is reset, for `forMs`, then it recovers. */
  'down',
] as const;

export const misbehaviourSpecSchema = z.strictObject({
  mode: z.enum(MISBEHAVIOURS),
  /** Requests affected, then back to ok (absent: every request while the mode lasts). */
  count: z.number().int().positive().optional(),
  /** How long the mode lasts (absent: until cleared). */
  forMs: z.number().int().positive().optional(),
  retryAfterS: z.number().min(0).optional(),
  status: z.number().int().min(500).max(599).optional(),
  afterTokens: z.number().int().min(0).optional(),
});

export type MisbehaviourSpec = z.infer<typeof misbehaviourSpecSchema>;

/** Parses a mode request (admin API body or CLI flags); throws a HalabError naming the bad field. */
export function parseMisbehaviour(data: unknown): MisbehaviourSpec {
  const r = misbehaviourSpecSchema.safeParse(data);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  const where = issue.path.join('.') || 'body';
  throw new HalabError('REQUEST_INVALID', `${where}: ${issue.message}${where === 'mode' ? ` (known modes: ${MISBEHAVIOURS.join(', ')})` : ''}`);
}

export const DEFAULT_AFTER_TOKENS = 4;

export class MisbehaviourState {
  private spec: MisbehaviourSpec | undefined;
  private untilMs = Infinity;
  private left = Infinity;
  /** Requests answered per mode, for tests and users counting attempts. */
  readonly served = new Map<string, number>();

  set(spec: MisbehaviourSpec, nowMs: number): void {
    this.spec = spec.mode === 'ok' ? undefined : spec;
    this.untilMs = spec.forMs !== undefined ? nowMs + spec.forMs : Infinity;
    this.left = spec.count ?? Infinity;
  }

  clear(): void {
    this.spec = undefined;
  }

  /** The mode in force (without consuming a request). */
  current(nowMs: number): MisbehaviourSpec | undefined {
    if (this.spec && (nowMs >= this.untilMs || this.left <= 0)) this.spec = undefined;
    return this.spec;
  }

  /** The mode for a new completion request; consumes one of `count`. */
  take(nowMs: number): MisbehaviourSpec | undefined {
    const spec = this.current(nowMs);
    if (spec) this.left -= 1;
    const mode = spec?.mode ?? 'ok';
    this.served.set(mode, (this.served.get(mode) ?? 0) + 1);
    return spec;
  }

  /** Whether every connection is refused now (the `down` mode). */
  down(nowMs: number): boolean {
    return this.current(nowMs)?.mode === 'down';
  }

  describe(nowMs: number): Record<string, unknown> {
    const spec = this.current(nowMs);
    return {
      mode: spec?.mode ?? 'ok',
      ...(spec ? { spec } : {}),
      ...(spec && this.untilMs !== Infinity ? { remainingMs: Math.max(0, this.untilMs - nowMs) } : {}),
      ...(spec && this.left !== Infinity ? { remainingRequests: this.left } : {}),
      served: Object.fromEntries(this.served),
    };
  }
}
