// Client-side faults, applied by the built-in load driver: each load.* fault of the run's schedule
// adds, for its window, a class of misbehaving clients with arrivals of their own (seeded from the
// run's seed and the fault's id) beside the well-behaved base load, which goes on unchanged. Every
// request they send is recorded with its class, so reports keep their figures apart.
import type { Agent } from 'undici';
import type { Clock } from '../core/clock.js';
import { createRng } from '../core/rng.js';
import type { RequestRecord } from '../record/records.js';
import type { ClientFault, LoadRunOptions } from './driver.js';

/** What makes a client misbehave (see BuiltinDriver.one). */
export interface ClientBehaviour {
  readonly clientClass: string;
  /** Record id. */
  readonly id: string;
  /** The raw request body to send instead of a well-formed request (poison). */
  readonly body?: string;
  /** Disconnect once this many tokens arrived. */
  readonly disconnectAfterTokens?: number;
  /** Pause this long after each read of the stream. */
  readonly readDelayMs?: number;
}

export interface ClientFaultRun {
  readonly driver: { one(opts: LoadRunOptions, index: number, dispatcher: Agent, behaviour?: ClientBehaviour): Promise<RequestRecord> };
  readonly opts: LoadRunOptions;
  readonly fault: ClientFault;
  /** Position of the fault in the run's list (separates request indexes and ids). */
  readonly faultNo: number;
  readonly dispatcher: Agent;
  readonly clock: Clock;
  /** The load's start (monotonic ms). */
  readonly t0: number;
  readonly signal: AbortSignal;
  readonly onRecord: (r: RequestRecord) => void;
  /** Whether the driver's in-flight cap is reached (a start is then skipped). */
  readonly full: () => boolean;
}

/** Requests of one misbehaving class in flight before its starts are skipped (protects the client). */
export const CLASS_IN_FLIGHT_MAX = 1000;

/** Words in an over-context poison prompt: beyond any stand-in's 8,192-token context. */
export const POISON_PROMPT_WORDS = 12_000;
/** max_tokens of an absurd-max_tokens poison request (within the API's bound, beyond the context). */
export const POISON_MAX_TOKENS = 32_000;

/** The misbehaving class's arrival rate: a surge adds `factor - 1` times the load; the others `factor` times. */
export function classRatePerSec(fault: ClientFault, baseRatePerSec: number): number {
  const factor = fault.params.factor ?? 1;
  return baseRatePerSec * Math.max(0, fault.kind === 'load.surge' ? factor - 1 : factor);
}

/** Poison request `n`: over-context prompts, absurd max_tokens and malformed bodies in turn. */
export function poisonBody(n: number, model: string): string {
  if (n % 3 === 0) return JSON.stringify({ model, messages: [{ role: 'user', content: 'the '.repeat(POISON_PROMPT_WORDS) }], stream: true });
  if (n % 3 === 1) return JSON.stringify({ model, messages: [{ role: 'user', content: 'tell me everything' }], max_tokens: POISON_MAX_TOKENS, stream: true });
  return `{"model": "${model}", "messages": [{"role": "user", "content": "unterminated`;
}

function behaviourFor(fault: ClientFault, n: number, id: string, model: string): ClientBehaviour {
  const base = { clientClass: fault.kind, id };
  switch (fault.kind) {
    case 'load.poison':
      return { ...base, body: poisonBody(n, model) };
    case 'load.disconnect-storm':
      return { ...base, disconnectAfterTokens: fault.params.afterTokens ?? 4 };
    case 'load.slow-reader':
      return { ...base, readDelayMs: fault.params.latencyMs ?? 200 };
    default:
      return base;
  }
}

/**
 * Runs one misbehaving class for its window; resolves (never rejects) once every request it sent
 * has ended. A retry-storm client sends again at once, up to `count` times, on any failure.
 */
export async function runClientFault(run: ClientFaultRun): Promise<{ started: number; skipped: number }> {
  const { opts, fault, clock, t0, signal } = run;
  const rate = classRatePerSec(fault, opts.ratePerSec);
  const endAt = Math.min(opts.durationMs, fault.atMs + (fault.forMs ?? opts.durationMs));
  const rng = createRng(opts.seed).fork(`client:${fault.faultId}`);
  const sent = new Set<Promise<void>>();
  let started = 0;
  let skipped = 0;
  const retries = fault.kind === 'load.retry-storm' ? (fault.params.count ?? 10) : 0;
  const client = async (n: number): Promise<void> => {
    const index = 1_000_000 * (run.faultNo + 1) + n;
    for (let attempt = 0; attempt <= retries; attempt++) {
      const r = await run.driver.one(opts, index, run.dispatcher, behaviourFor(fault, n, `${fault.faultId}.${n}${attempt ? `.${attempt}` : ''}`, opts.model));
      run.onRecord(r);
      if (r.outcome === 'ok' || signal.aborted) return;
    }
  };
  const wait = async (atMs: number): Promise<boolean> => {
    const ms = t0 + atMs - clock.monoMs();
    if (ms > 0) await clock.sleep(ms, signal).catch(() => undefined);
    return !signal.aborted;
  };
  if (rate <= 0 || fault.atMs >= endAt || !(await wait(fault.atMs))) return { started, skipped };
  opts.onClientFault?.('injected', fault, clock.nowMs());
  let nextAt = fault.atMs;
  for (let n = 0; ; n++) {
    nextAt += opts.arrival === 'poisson' ? rng.exponential(1000 / rate) : 1000 / rate;
    if (nextAt >= endAt || !(await wait(nextAt))) break;
    if (run.full() || sent.size >= CLASS_IN_FLIGHT_MAX) {
      skipped += 1;
      continue;
    }
    started += 1;
    const p = client(n).catch(() => undefined);
    sent.add(p);
    void p.finally(() => sent.delete(p));
  }
  if (!signal.aborted) await wait(endAt);
  opts.onClientFault?.('healed', fault, clock.nowMs());
  await Promise.all([...sent]);
  return { started, skipped };
}
