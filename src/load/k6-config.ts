// The configuration the k6 script reads (scenarios/k6/chat-stream.js): the open arrival model
// (constant-arrival-rate), VUs, thresholds from the scenario's targets, and every request's
// prompt and seed, computed with the same functions as the built-in driver. Pure.
import { HalabError } from '../core/errors.js';
import type { ChatMessage } from '../protocol/tokens.js';
import type { LoadRunOptions } from './driver.js';
import { promptFor, seedFor } from '../protocol/prompts.js';

/** Most requests one k6 run may have (their prompts are written to a file up front). */
export const K6_MAX_REQUESTS = 500_000;
/** Most VUs k6 may start by default (each VU holds one request in flight). */
export const K6_DEFAULT_MAX_VUS = 1000;
/** Extra time k6 gives in-flight requests after the load's duration, beyond their timeout. */
export const K6_GRACE_MS = 2000;

export interface K6Config {
  readonly entrypoint: string;
  readonly model: string;
  readonly streaming: boolean;
  readonly maxTokens: number;
  readonly timeoutMs: number;
  readonly clientRegion?: string;
  readonly rate: number;
  readonly timeUnit: string;
  readonly duration: string;
  readonly preAllocatedVUs: number;
  readonly maxVUs: number;
  readonly gracefulStop: string;
  readonly thresholds: Readonly<Record<string, readonly string[]>>;
  readonly summaryFile: string;
  readonly requestsFile: string;
}

export interface K6Request {
  readonly messages: readonly ChatMessage[];
  readonly seed: number;
}

/** Requests k6 starts: constant-arrival-rate starts one every 1/rate s over the duration. */
export function k6RequestCount(opts: Pick<LoadRunOptions, 'ratePerSec' | 'durationMs'>): number {
  return Math.ceil((opts.ratePerSec * opts.durationMs) / 1000) + 1;
}

/** k6 wants an integer rate: a fractional rate per second becomes a rate per 1000 s. */
export function k6Rate(ratePerSec: number): { rate: number; timeUnit: string } {
  return Number.isInteger(ratePerSec) ? { rate: ratePerSec, timeUnit: '1s' } : { rate: Math.round(ratePerSec * 1000), timeUnit: '1000s' };
}

/** Thresholds k6 evaluates itself, from the targets it can see client-side. */
export function k6Thresholds(t: LoadRunOptions['thresholds']): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  if (t?.ttftP99Ms !== undefined) out.halab_ttft = [`p(99)<=${t.ttftP99Ms}`];
  if (t?.availability !== undefined) out.halab_complete = [`rate>=${t.availability}`];
  return out;
}

export function k6Config(opts: LoadRunOptions, files: { summaryFile: string; requestsFile: string }): K6Config {
  if (k6RequestCount(opts) > K6_MAX_REQUESTS) {
    throw new HalabError('CONFIG_INVALID', `the k6 driver runs at most ${K6_MAX_REQUESTS} requests; this load has ${k6RequestCount(opts)} (rate × duration)`);
  }
  const preAllocatedVUs = opts.preAllocatedVUs ?? Math.max(5, Math.ceil(opts.ratePerSec * 2));
  const maxVUs = Math.max(preAllocatedVUs, opts.maxVUs ?? Math.min(K6_DEFAULT_MAX_VUS, Math.ceil((opts.ratePerSec * opts.timeoutMs) / 1000)));
  return {
    entrypoint: opts.entrypoint,
    model: opts.model,
    streaming: opts.streaming,
    maxTokens: opts.maxTokens,
    timeoutMs: opts.timeoutMs,
    ...(opts.clientRegion ? { clientRegion: opts.clientRegion } : {}),
    ...k6Rate(opts.ratePerSec),
    duration: `${Math.round(opts.durationMs)}ms`,
    preAllocatedVUs,
    maxVUs,
    gracefulStop: `${Math.round(opts.timeoutMs + K6_GRACE_MS)}ms`,
    thresholds: k6Thresholds(opts.thresholds),
    ...files,
  };
}

/** Request i's messages and seed, exactly as the built-in driver would send them. */
export function k6Requests(opts: Pick<LoadRunOptions, 'seed' | 'promptTokens' | 'ratePerSec' | 'durationMs'>): K6Request[] {
  return Array.from({ length: k6RequestCount(opts) }, (_, i) => ({ messages: promptFor(opts.seed, i, opts.promptTokens), seed: seedFor(opts.seed, i) }));
}
