// Performance profiles of the engines a stand-in replica imitates. Figures are for vLLM serving
// Llama 3 8B in BF16, one GPU per replica; `timeScale` multiplies every duration so tests run fast.

export interface EngineProfile {
  readonly name: string;
  /** Prefill cost per prompt token (compute-bound). */
  readonly prefillMsPerToken: number;
  /** Decode step time with a single running sequence (memory-bandwidth-bound). */
  readonly decodeBaseMs: number;
  /** Extra decode step time per additional running sequence. */
  readonly decodeMsPerSeq: number;
  /** vLLM's max_num_seqs. */
  readonly maxRunningSeqs: number;
  /** KV cache capacity in tokens. */
  readonly kvCapacityTokens: number;
  /** Requests allowed to wait before new ones get 429. */
  readonly waitingQueueMax: number;
  /** vLLM's max_model_len: prompt plus max_tokens beyond this is a 400 (context too long). */
  readonly maxModelLenTokens: number;
  /** Time to load the weights and warm up before serving. */
  readonly modelLoadMs: number;
}

// KV per token for Llama 3 8B: 2 (K,V) × 32 layers × 8 KV heads × 128 dims × 2 bytes = 128 KiB.
const KV_BYTES_PER_TOKEN = 131_072;
const WEIGHTS_BYTES = 16e9;
/** Llama 3 8B's context length. */
export const MAX_MODEL_LEN_TOKENS = 8192;

function kvTokens(gpuBytes: number, utilization = 0.9): number {
  return Math.floor((gpuBytes * utilization - WEIGHTS_BYTES) / KV_BYTES_PER_TOKEN);
}

export const PROFILES: Readonly<Record<string, EngineProfile>> = Object.freeze({
  // H100 80GB SXM: ~3.35 TB/s reads 16 GB of weights in ~5 ms, so ~7 ms per decode step at batch 1
  // with overheads; batching adds ~0.08 ms per sequence; prefill runs ~10k tokens/s; ~25 s to load.
  'h100-llama3-8b': {
    name: 'h100-llama3-8b',
    prefillMsPerToken: 0.1,
    decodeBaseMs: 7,
    decodeMsPerSeq: 0.08,
    maxRunningSeqs: 256,
    kvCapacityTokens: kvTokens(80e9),
    waitingQueueMax: 1024,
    maxModelLenTokens: MAX_MODEL_LEN_TOKENS,
    modelLoadMs: 25_000,
  },
  // A100 80GB: ~2 TB/s → ~11 ms per step; prefill ~6k tokens/s.
  'a100-llama3-8b': {
    name: 'a100-llama3-8b',
    prefillMsPerToken: 0.17,
    decodeBaseMs: 11,
    decodeMsPerSeq: 0.12,
    maxRunningSeqs: 256,
    kvCapacityTokens: kvTokens(80e9),
    waitingQueueMax: 1024,
    maxModelLenTokens: MAX_MODEL_LEN_TOKENS,
    modelLoadMs: 30_000,
  },
  // L4 24GB: ~300 GB/s → ~55 ms per step; little room left for KV after 16 GB of weights.
  'l4-llama3-8b': {
    name: 'l4-llama3-8b',
    prefillMsPerToken: 0.8,
    decodeBaseMs: 55,
    decodeMsPerSeq: 0.5,
    maxRunningSeqs: 64,
    kvCapacityTokens: kvTokens(24e9),
    waitingQueueMax: 256,
    maxModelLenTokens: MAX_MODEL_LEN_TOKENS,
    modelLoadMs: 45_000,
  },
});

/** The named profile with every duration multiplied by timeScale (and load time overridden). */
export function scaledProfile(name: string, timeScale = 1, modelLoadMs?: number): EngineProfile {
  const base = PROFILES[name];
  if (!base) throw new Error(`unknown engine profile "${name}"; known: ${Object.keys(PROFILES).join(', ')}`);
  return {
    ...base,
    prefillMsPerToken: base.prefillMsPerToken * timeScale,
    decodeBaseMs: base.decodeBaseMs * timeScale,
    decodeMsPerSeq: base.decodeMsPerSeq * timeScale,
    modelLoadMs: (modelLoadMs ?? base.modelLoadMs) * timeScale,
  };
}
