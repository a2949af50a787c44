// What a client observed of one answer, and the outcome rules every load driver shares: an answer
// is ok only when complete (finish reason, and [DONE] for streams) and as long as the
// deterministic answer; failed on an error status or in-band error; truncated otherwise.
import type { HalabResponseExtension, Outcome } from '../record/records.js';

/** One chat.completion(.chunk) object, or an in-band error event. */
export interface Chunk {
  id?: string;
  model?: string;
  error?: { message?: string };
  system_fingerprint?: string | null;
  choices?: { delta?: { content?: string | null }; message?: { content?: string }; finish_reason?: string | null }[];
  halab?: HalabResponseExtension;
}

export interface Observed {
  text: string;
  tokens: number;
  firstTokenMs?: number;
  lastTokenMs?: number;
  gaps: number[];
  finishReason?: string;
  sawDone: boolean;
  error?: string;
  version?: string;
  /** The `model` of the last chunk (or of the body). */
  model?: string;
  halab?: HalabResponseExtension;
  /** The response id (chatcmpl-…): for stored completions, the id to read it back by. */
  id?: string;
}

export function newObserved(): Observed {
  return { text: '', tokens: 0, gaps: [], sawDone: false };
}

/** Applies one parsed chunk; `onContent` is called for each content token. */
export function applyChunk(o: Observed, c: Chunk, onContent: (content: string) => void): void {
  if (c.error) o.error = `in-band error: ${c.error.message ?? 'unknown'}`;
  if (c.system_fingerprint) o.version = c.system_fingerprint;
  if (c.model) o.model = c.model;
  if (c.halab) o.halab = c.halab;
  if (c.id && !o.id) o.id = c.id;
  const choice = c.choices?.[0];
  if (choice?.delta?.content) onContent(choice.delta.content);
  if (choice?.finish_reason) o.finishReason = choice.finish_reason;
}

/** Applies one SSE event's data ("[DONE]" or a JSON chunk). */
export function applySseData(o: Observed, data: string, onContent: (content: string) => void): void {
  if (data === '[DONE]') {
    o.sawDone = true;
    return;
  }
  try {
    applyChunk(o, JSON.parse(data) as Chunk, onContent);
  } catch {
    o.error = `malformed event: ${data.slice(0, 80)}`;
  }
}

export function classify(
  o: Observed,
  expected: { tokens: string[]; finishReason: string } | undefined,
  streaming: boolean,
): { outcome: Outcome; reason?: string; correct: boolean | null } {
  if (o.error) return { outcome: 'failed', reason: o.error, correct: null };
  const complete = o.finishReason !== undefined && (!streaming || o.sawDone);
  if (!complete) return { outcome: 'truncated', reason: `ended after ${o.tokens} tokens without ${o.finishReason ? '[DONE]' : 'a finish reason'}`, correct: null };
  if (!expected) return { outcome: 'ok', correct: null };
  if (o.tokens < expected.tokens.length) {
    return { outcome: 'truncated', reason: `finished after ${o.tokens} of ${expected.tokens.length} tokens`, correct: false };
  }
  return { outcome: 'ok', correct: o.text === expected.tokens.join('') && o.finishReason === expected.finishReason };
}

/** Who answered, for the request record: model, route group and attempt count, when reported. */
export function answeredBy(o: Observed): { model?: string; group?: string; attempts?: number } {
  const model = o.halab?.model ?? o.model;
  return {
    ...(model ? { model } : {}),
    ...(o.halab?.group ? { group: o.halab.group } : {}),
    ...(o.halab?.attempts ? { attempts: o.halab.attempts.length } : {}),
  };
}
