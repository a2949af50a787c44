// Admission control at an HTTP edge (the I/O half of src/policy/admission.ts): counts requests
// running and queued, holds queued ones in FIFO order until a slot frees (at most queueWaitMaxMs),
// and tells the caller to shed the rest with a reason and a Retry-After. Queued requests have not
// had their bodies read, so a flood costs sockets, not buffers. Shared by the gateway and the GLB.
import type { Clock, TimerHandle } from '../../core/clock.js';
import { startLoopDelayMonitor, type LoopDelayMonitor } from '../../core/loop-delay.js';
import { admissionDecision, shedRetryAfterS, type AdmissionConfig, type AdmissionState } from '../../policy/admission.js';
import { RecentAsks, type AskShare } from '../../policy/admission-share.js';
import { addLatencySample, initialLatencyLimit, noteInFlight, rollLatencyWindow, type LatencyLimitConfig, type LatencyLimitState } from '../../policy/admission-latency.js';

export interface AdmissionGateConfig extends AdmissionConfig, LatencyLimitConfig {
  /** Longest a request waits in the queue before it is shed. */
  readonly queueWaitMaxMs: number;
  /** Retry-After (s) sent with a shed request (doubled under deep event-loop lag). */
  readonly retryAfterS: number;
}

/** The overload settings an HTTP edge (regional gateway, global load balancer) shares. */
export interface EdgeOverloadConfig extends AdmissionGateConfig {
  /** Retry budget: retries in flight ≤ max(retryBudgetMinRetries, retryBudgetRatio × requests in flight). */
  readonly retryBudgetRatio: number;
  readonly retryBudgetMinRetries: number;
  /** A streaming client that has not read this much of its answer is cut (a reader too slow). */
  readonly clientBufferMaxBytes: number;
  /** Header naming the client (tenant) for fair-share shedding; requests without it share one anonymous share. */
  readonly clientIdHeader: string;
}

export type Admission = { readonly admitted: true; readonly release: () => void; /** Requests in flight, this one included, when it was admitted. */ readonly inFlight: number } | { readonly admitted: false; readonly reason: string; readonly retryAfterS: number };

interface Waiter {
  readonly admit: (a: Admission) => void;
  readonly signal: AbortSignal;
  timer?: TimerHandle;
  onAbort?: () => void;
}

export class AdmissionGate {
  private active = 0;
  private readonly queue: Waiter[] = [];
  private readonly monitor: LoopDelayMonitor | undefined;
  private shedTotal = 0;
  /** Requests running or queued per client key (fair-share shedding). */
  private readonly perClient = new Map<string, number>();
  /** Who asked for the last requests (fair share by what was asked, not only by what runs). */
  private readonly asks = new RecentAsks();
  /** The in-flight limit that follows the time to first byte (src/policy/admission-latency.ts). */
  private latency: LatencyLimitState;

  constructor(
    private readonly config: AdmissionGateConfig,
    private readonly clock: Clock,
  ) {
    this.monitor = config.loopDelayShedMs > 0 ? startLoopDelayMonitor(clock) : undefined;
    this.latency = initialLatencyLimit(config, clock.monoMs());
  }

  /**
   * One admitted request's time from accept (src/core/accept-time.ts) to its first byte to the
   * client, ms, with its admission's `inFlight`: the signal the latency limit follows.
   */
  observeFirstByte(ms: number, inFlightAtAdmit: number): void {
    if (this.config.ttftTargetMs <= 0) return;
    this.roll();
    this.latency = addLatencySample(this.latency, ms, inFlightAtAdmit);
  }

  private roll(): void {
    this.latency = rollLatencyWindow(this.latency, this.config, this.clock.monoMs(), this.active);
  }

  state(client?: string, askShare?: AskShare): AdmissionState {
    this.roll();
    const latency = this.latency.limit < this.config.activeMax ? { latencyLimit: this.latency.limit, latencyMedianMs: this.latency.lastMedianMs } : {};
    const base = { active: this.active, queued: this.queue.length, loopDelayMs: this.monitor?.sustainedMs() ?? 0, ...latency };
    return client === undefined ? base : { ...base, clientInFlight: this.perClient.get(client) ?? 0, clients: this.perClient.size, ...(askShare ? { askShare } : {}) };
  }

  stats(): AdmissionState & { readonly shed: number; readonly limit: number; readonly lastMedianMs: number } {
    return { ...this.state(), shed: this.shedTotal, limit: this.latency.limit, lastMedianMs: this.latency.lastMedianMs };
  }

  /**
   * Admits now, after a wait in the queue, or not (shed; also when `signal` aborts while queued).
   * `client` names the caller (absent: one anonymous client) for fair-share shedding.
   */
  async enter(signal: AbortSignal, client?: string): Promise<Admission> {
    const state = this.state(client, client === undefined ? undefined : this.asks.ask(client));
    if (client === undefined) return this.decide(signal, state);
    this.perClient.set(client, (this.perClient.get(client) ?? 0) + 1);
    let counted = true;
    const uncount = (): void => {
      if (!counted) return;
      counted = false;
      const n = (this.perClient.get(client) ?? 1) - 1;
      if (n > 0) this.perClient.set(client, n);
      else this.perClient.delete(client);
    };
    const admission = await this.decide(signal, state);
    if (!admission.admitted) {
      uncount();
      return admission;
    }
    return {
      admitted: true,
      inFlight: admission.inFlight,
      release: () => {
        uncount();
        admission.release();
      },
    };
  }

  private decide(signal: AbortSignal, state: AdmissionState): Promise<Admission> {
    const decision = admissionDecision(state, this.config);
    if (decision.kind === 'admit') return Promise.resolve(this.admitOne());
    if (decision.kind === 'shed') return Promise.resolve(this.shed(decision.reason, shedRetryAfterS(state, this.config, this.config.retryAfterS)));
    return new Promise<Admission>((resolve) => {
      const waiter: Waiter = { admit: resolve, signal };
      const leave = (reason: string): void => {
        const i = this.queue.indexOf(waiter);
        if (i < 0) return;
        this.queue.splice(i, 1);
        waiter.timer?.cancel();
        signal.removeEventListener('abort', waiter.onAbort!);
        resolve(this.shed(reason, this.config.retryAfterS));
      };
      waiter.timer = this.clock.setTimer(this.config.queueWaitMaxMs, () => leave(`no slot freed within ${this.config.queueWaitMaxMs}ms (${this.active} requests running)`));
      waiter.onAbort = () => leave('client left while queued');
      signal.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
    });
  }

  close(): void {
    this.monitor?.stop();
    for (const w of this.queue.splice(0)) {
      w.timer?.cancel();
      w.admit(this.shed('shutting down', this.config.retryAfterS));
    }
  }

  private shed(reason: string, retryAfterS: number): Admission {
    this.shedTotal += 1;
    return { admitted: false, reason, retryAfterS };
  }

  private admitOne(): Admission {
    this.active += 1;
    this.latency = noteInFlight(this.latency, this.active);
    let released = false;
    return {
      admitted: true,
      inFlight: this.active,
      release: () => {
        if (released) return;
        released = true;
        this.active -= 1;
        this.next();
      },
    };
  }

  private next(): void {
    while (this.active < Math.min(this.config.activeMax, this.latency.limit) && this.queue.length > 0) {
      const w = this.queue.shift()!;
      w.timer?.cancel();
      if (w.onAbort) w.signal.removeEventListener('abort', w.onAbort);
      w.admit(this.admitOne());
    }
  }
}
