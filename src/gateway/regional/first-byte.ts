// Calls back once, when a completion's first token goes to the client: the end of its time to first
// byte, measured by the edge (gateway, GLB) from the request's accept time (src/core/accept-time.ts)
// for its histogram and its admission's latency limit.
import type { CompletionSink } from './completion.js';

export function onFirstByte(sink: CompletionSink, first: () => void): CompletionSink {
  let seen = false;
  return {
    token(text, version, model, literal) {
      if (!seen) {
        seen = true;
        first();
      }
      sink.token(text, version, model, literal);
    },
    done: (reason, usage, outcome) => sink.done(reason, usage, outcome),
    fail: (status, message, outcome, passthrough) => sink.fail(status, message, outcome, passthrough),
  };
}
