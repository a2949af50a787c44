// The stand-in model: an answer's tokens are a pure function of (model version, prompt, seed,
// position). A generation resumed elsewhere from token N continues with exactly the tokens an
// uninterrupted one would have produced, and any client can compute the expected answer.

export interface ChatMessage {
  readonly role: string;
  readonly content: string;
}

const WORDS = (
  'the of and to in is that for it as was with be by on not he this are or his from at which but have an they ' +
  'you were her all she there would their we him been has when who will more no if out so said what up its about ' +
  'into than them can only other new some could time these two may then do first any my now such like our over ' +
  'man me even most made after also did many before must through back years where much your way well down should ' +
  'because each just those people how too little state good very make world still own see men work long get here ' +
  'between both life being under never day same another know while last might us great old year off come since ' +
  'against go came right used take three small large next early young important few public bad same able human ' +
  'local sure free better true whole real best clear full special easy strong certain major personal hard open ' +
  'model token stream replica region cluster gateway engine batch cache prefill decode latency failover health ' +
  'probe signal route retry resume drain deploy canary rollback backup restore commit ledger quorum leader follower ' +
  'lease epoch shard queue buffer socket packet header payload frame window budget error nine uptime outage ' +
  'incident pager runbook oncall chaos monkey blast radius abort heal inject fault partition latency jitter ' +
  'bandwidth throughput capacity planner simulate annual availability target verdict gate baseline report ' +
  'timeline chart bucket percentile median tail spike burst steady warm cold start stop pause tick clock seed ' +
  'random determinism schedule event record checker history client server request response status code reason ' +
  'green blue yellow red orange purple silver golden river mountain forest ocean desert valley meadow harbor ' +
  'bridge tower castle garden village city market school library museum theater station airport highway tunnel'
).split(' ');

/** 32-bit FNV-1a of a string. */
function fnv1a(text: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** murmur3's finalizer: spreads the bits of a 32-bit integer. */
function mix(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return h >>> 0;
}

/** Stable key of a conversation: a hash of its roles and contents only. */
export function promptKey(messages: readonly ChatMessage[]): number {
  return fnv1a(JSON.stringify(messages.map((m) => [m.role, m.content])));
}

/** Shortest and longest natural answer, in tokens. */
export const ANSWER_MIN_TOKENS = 8;
export const ANSWER_MAX_TOKENS = 160;

/**
 * The answer's natural length (where the model would emit end-of-sequence). It does not depend on
 * max_tokens, so a continuation asked for "the remaining N tokens" ends where the original would.
 */
export function naturalLength(modelVersion: string, key: number, seed: number): number {
  const h = mix(fnv1a(modelVersion) ^ mix(key ^ Math.imul(seed | 0, 0x9e3779b1)) ^ 0x5bd1e995);
  return ANSWER_MIN_TOKENS + (h % (ANSWER_MAX_TOKENS - ANSWER_MIN_TOKENS + 1));
}

/** Token text at a position (0-based): a word with a leading space. */
export function tokenAt(modelVersion: string, key: number, seed: number, position: number): string {
  const h = mix(fnv1a(modelVersion) ^ mix(key + Math.imul(position + 1, 0x27d4eb2d)) ^ Math.imul(seed | 0, 0x165667b1));
  return ' ' + WORDS[h % WORDS.length];
}

/** Version salt that makes a corrupt model's tokens differ from the real ones. */
export function corruptVersion(modelVersion: string): string {
  return `${modelVersion}#corrupt`;
}

/** Tokens generated for a request and why generation stops, given max_tokens (if any). */
export function answerPlan(modelVersion: string, key: number, seed: number, maxTokens: number | undefined): { length: number; finishReason: 'stop' | 'length' } {
  const natural = naturalLength(modelVersion, key, seed);
  if (maxTokens !== undefined && maxTokens < natural) return { length: maxTokens, finishReason: 'length' };
  return { length: natural, finishReason: 'stop' };
}

/** The full deterministic answer a client should receive. */
export function expectedAnswer(
  modelVersion: string,
  messages: readonly ChatMessage[],
  seed: number,
  maxTokens: number | undefined,
): { tokens: string[]; finishReason: 'stop' | 'length' } {
  const key = promptKey(messages);
  const plan = answerPlan(modelVersion, key, seed, maxTokens);
  const tokens: string[] = [];
  for (let i = 0; i < plan.length; i++) tokens.push(tokenAt(modelVersion, key, seed, i));
  return { tokens, finishReason: plan.finishReason };
}

/** Splits generated text back into tokens (each token is " word"). */
export function countTokens(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 32) n++;
  return n;
}

/** Approximate prompt tokens: words across all messages, at least 1. */
export function promptTokens(messages: readonly ChatMessage[]): number {
  let n = 0;
  for (const m of messages) n += m.content.split(/\s+/).filter(Boolean).length + 4;
  return Math.max(1, n);
}
