// A continuous-batching engine that behaves like vLLM on one GPU, in time only: sequences wait in
// a bounded queue, are admitted while running < max and their KV (prompt + max new tokens) fits,
// and every step costs the prefill of newly admitted prompts plus a decode time that grows with
// the batch. Each step gives every running sequence its next token. No timer runs while idle.
import type { Clock, TimerHandle } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { EngineProfile } from './profiles.js';

export interface SequenceSpec {
  readonly id: string;
  /** Prompt tokens to prefill (a continuation's prefix counts as prompt). */
  readonly prefillTokens: number;
  /** Tokens this sequence will generate. */
  readonly newTokens: number;
  /** Called with the index (0-based, within this sequence) of each generated token. */
  readonly onToken: (index: number) => void;
  readonly onDone: () => void;
  readonly onError: (err: Error) => void;
}

interface Sequence extends SequenceSpec {
  generated: number;
  readonly kvTokens: number;
  readonly enqueuedMs: number;
  admitted: boolean;
}

export class EngineOverloadError extends HalabError {
  constructor(message: string) {
    super('OVERLOADED', message);
  }
}

/** A sequence that can never fit (more KV than the GPU has): the request's fault, not the engine's. */
export class SequenceTooLongError extends HalabError {
  constructor(message: string) {
    super('REQUEST_INVALID', message);
  }
}

export interface EngineStats {
  readonly running: number;
  readonly waiting: number;
  /** Share of KV capacity reserved, 0..1. */
  readonly kvUsage: number;
}

export class Engine {
  private readonly waiting: Sequence[] = [];
  private readonly running: Sequence[] = [];
  private kvUsed = 0;
  private timer: TimerHandle | undefined;

  constructor(
    private readonly profile: EngineProfile,
    private readonly clock: Clock,
    /** Multiplier on every step's duration (slow and thermal faults, slow versions). */
    private readonly slowFactor: () => number = () => 1,
  ) {}

  /** Queues a sequence; throws EngineOverloadError when the waiting queue is full, SequenceTooLongError when it can never fit. */
  submit(spec: SequenceSpec): void {
    const kvTokens = spec.prefillTokens + spec.newTokens;
    if (kvTokens > this.profile.kvCapacityTokens) {
      throw new SequenceTooLongError(`sequence needs ${kvTokens} KV tokens, capacity is ${this.profile.kvCapacityTokens}`);
    }
    if (this.waiting.length >= this.profile.waitingQueueMax) {
      throw new EngineOverloadError(`waiting queue full (${this.profile.waitingQueueMax})`);
    }
    this.waiting.push({ ...spec, generated: 0, kvTokens, enqueuedMs: this.clock.monoMs(), admitted: false });
    this.kick();
  }

  /** Drops a sequence (client gone). */
  cancel(id: string): void {
    const w = this.waiting.findIndex((s) => s.id === id);
    if (w >= 0) this.waiting.splice(w, 1);
    const r = this.running.findIndex((s) => s.id === id);
    if (r >= 0) this.release(r);
  }

  /** Fails every sequence (a GPU error): in-flight requests end with `err`. */
  failAll(err: Error): void {
    const all = [...this.running, ...this.waiting];
    this.running.length = 0;
    this.waiting.length = 0;
    this.kvUsed = 0;
    this.timer?.cancel();
    this.timer = undefined;
    for (const s of all) s.onError(err);
  }

  stats(): EngineStats {
    return { running: this.running.length, waiting: this.waiting.length, kvUsage: this.kvUsed / this.profile.kvCapacityTokens };
  }

  /** True while a step is scheduled (for tests: idle engines hold no timer). */
  busy(): boolean {
    return this.timer !== undefined;
  }

  private release(index: number): void {
    const [seq] = this.running.splice(index, 1);
    if (seq) this.kvUsed -= seq.kvTokens;
  }

  private kick(): void {
    if (this.timer || (this.running.length === 0 && this.waiting.length === 0)) return;
    let prefill = 0;
    while (this.waiting.length > 0 && this.running.length < this.profile.maxRunningSeqs) {
      const next = this.waiting[0]!;
      if (this.kvUsed + next.kvTokens > this.profile.kvCapacityTokens) break;
      this.waiting.shift();
      next.admitted = true;
      this.kvUsed += next.kvTokens;
      prefill += next.prefillTokens;
      this.running.push(next);
    }
    if (this.running.length === 0) return;
    const decodeMs = this.profile.decodeBaseMs + this.profile.decodeMsPerSeq * (this.running.length - 1);
    const stepMs = (prefill * this.profile.prefillMsPerToken + decodeMs) * this.slowFactor();
    this.timer = this.clock.setTimer(stepMs, () => this.step());
  }

  private step(): void {
    this.timer = undefined;
    for (let i = 0; i < this.running.length; ) {
      const seq = this.running[i]!;
      if (seq.generated < seq.newTokens) {
        seq.onToken(seq.generated);
        seq.generated += 1;
      }
      // onToken may have cancelled this sequence
      if (this.running[i] !== seq) continue;
      if (seq.generated >= seq.newTokens) {
        this.release(i);
        seq.onDone();
        continue;
      }
      i++;
    }
    this.kick();
  }
}
