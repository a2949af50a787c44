// Wraps a completion sink for `store: true`: tokens pass straight through, but the end of the
// answer (final chunk and [DONE], or the JSON body) is sent only after the completion is durable
// in the region's store — so an answer the client saw complete is an acknowledged write. A store
// that fails turns the end into an explicit error (never an unacknowledged "ok").
import type { Clock } from '../../core/clock.js';
import type { CompletionSink } from './completion.js';
import type { StoredCompletions } from '../stored/stored-completions.js';

export interface StoreMeta {
  readonly id: string;
  readonly model: string;
  readonly createdS: number;
  readonly region: string;
  readonly messages: readonly unknown[];
  readonly metadata?: Record<string, string>;
  /** SHA-256 of the creating request's API key (only that key may read the completion back). */
  readonly keyHash?: string;
}

export function storingSink(inner: CompletionSink, sc: StoredCompletions, meta: StoreMeta, clock: Clock): CompletionSink {
  let text = '';
  return {
    token(t, version, model, literal) {
      text += t;
      inner.token(t, version, model, literal);
    },
    done(finishReason, usage, outcome) {
      const completion = {
        id: meta.id,
        object: 'chat.completion' as const,
        created: meta.createdS,
        model: meta.model,
        system_fingerprint: outcome.version ?? null,
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: finishReason, logprobs: null }],
        usage,
        ...(meta.metadata ? { metadata: meta.metadata } : {}),
        request: { messages: meta.messages },
        halab: { region: meta.region, storedAtMs: clock.nowMs(), ...(meta.keyHash ? { keyHash: meta.keyHash } : {}) },
      };
      sc.save(completion).then(
        () => inner.done(finishReason, usage, outcome),
        (err: Error) => inner.fail(500, `the completion could not be stored in ${meta.region}: ${err.message}`, outcome),
      );
    },
    fail(status, message, outcome, passthrough) {
      inner.fail(status, message, outcome, passthrough);
    },
  };
}
