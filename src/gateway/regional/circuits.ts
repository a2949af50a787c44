// Circuit breakers per upstream × model, closed only on evidence that the model answers.
//   closed     traffic flows; failures open it (the pool decides when).
//   open       no traffic for the ejection time (doubling per repeat, capped, forgiven with time in
//              service). Cheap checks (/health) run every readmitProbeIntervalMs; once
//              readmitSuccesses of them pass, a completion probe of that model runs — at most one
//              per completionProbeIntervalMs per upstream × model, a real attempt counting as one.
//   half-open  after the ejection time, while cheap checks pass: one real request at a time may try.
// A completion — probe or real request — of that model closes the circuit; a failed real trial
// opens it again for a longer time. /health alone never closes a circuit. So after an upstream
// recovers, traffic returns within readmitSuccesses × readmitProbeIntervalMs + one completion probe
// when the outage also failed its cheap checks, and within completionProbeIntervalMs more when it
// did not (a model failing behind a healthy /health).
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import type { FailureKind } from '../../policy/retry.js';
import { ejectionMs, nextEjectionCount } from '../../policy/ejection.js';
import type { GatewayConfig } from './config.js';
import { cheapCheckOk, completionProbe } from './circuit-probes.js';
import type { Upstream } from './upstream-pool.js';

/** How an open circuit is checked: over HTTP by default, in memory in the virtual-time harness. */
export interface CircuitProbes {
  /** A cheap check (/health or /v1/models). */
  cheapCheck(upstream: Upstream): Promise<boolean>;
  /** A one-token completion of the model. */
  completion(upstream: Upstream, model: string | undefined): Promise<{ ok: boolean; reason: string }>;
}

/** The HTTP probes, with the gateway's timeouts. */
export function httpCircuitProbes(config: GatewayConfig, clock: Clock): CircuitProbes {
  return {
    cheapCheck: (upstream) => cheapCheckOk(upstream, clock, config.firstTokenTimeoutMs),
    completion: (upstream, model) => completionProbe(upstream, model, clock, config.firstTokenTimeoutMs + config.stallTimeoutMs),
  };
}

interface Circuit {
  readonly replicaId: string;
  readonly model: string | undefined;
  untilMs: number;
  count: number;
  goodChecks: number;
  /** A real request is trying the half-open circuit. */
  trial: boolean;
  timer?: TimerHandle;
  readonly kind: FailureKind;
}

/** The key of one upstream × model. */
export function circuitKey(replicaId: string, model: string | undefined): string {
  return `${replicaId}\u0000${model ?? ''}`;
}

export class Circuits {
  private readonly open = new Map<string, Circuit>();
  private readonly counts = new Map<string, number>();
  private readonly closedAtMs = new Map<string, number>();
  /** Last completion evidence sought (probe sent or real attempt started), per key, monotonic ms. */
  private readonly evidenceAtMs = new Map<string, number>();
  private closed = false;
  /** Completion probes sent (for tests and the probe-cost figure). */
  probesSent = 0;

  constructor(
    private readonly config: GatewayConfig,
    private readonly clock: Clock,
    private readonly events: EventSink,
    private readonly probes: CircuitProbes = httpCircuitProbes(config, clock),
  ) {}

  /** Whether new traffic may go to the upstream for this model (closed, or half-open with no trial running). */
  admits(replicaId: string, model: string | undefined): boolean {
    const c = this.open.get(circuitKey(replicaId, model));
    if (!c) return true;
    return this.halfOpen(c) && !c.trial;
  }

  /** Whether some circuit of the replica (for `model`, or any model when undefined) is open. */
  isOpen(replicaId: string, model?: string): boolean {
    if (model !== undefined) return this.open.has(circuitKey(replicaId, model));
    for (const c of this.open.values()) if (c.replicaId === replicaId) return true;
    return false;
  }

  /**
   * A real attempt starts: it counts as completion evidence; on a half-open circuit it is the
   * trial. Returns the call that marks its end.
   */
  attemptStarted(replicaId: string, model: string | undefined): () => void {
    const key = circuitKey(replicaId, model);
    this.evidenceAtMs.set(key, this.clock.monoMs());
    const c = this.open.get(key);
    if (!c || !this.halfOpen(c)) return () => undefined;
    c.trial = true;
    return () => {
      c.trial = false;
    };
  }

  /** A completion of the model on the upstream: closes its circuit. */
  succeeded(replicaId: string, model: string | undefined, evidence = 'a real request completed'): void {
    // every request that completes lands here: with no circuit open there is no key to build
    if (this.open.size === 0) return;
    const key = circuitKey(replicaId, model);
    const c = this.open.get(key);
    if (!c) return;
    c.timer?.cancel();
    this.open.delete(key);
    this.closedAtMs.set(key, this.clock.nowMs());
    this.events.emit(EV.passiveReadmit, replicaId, `${evidence}${model ? ` (${model})` : ''}`, { count: c.count, ...(model ? { model } : {}) });
  }

  /** Opens (or re-opens, longer) the circuit; returns its ejection time, or undefined when already open. */
  trip(upstream: Upstream, model: string | undefined, kind: FailureKind, reason: string): number | undefined {
    const key = circuitKey(upstream.replicaId, model);
    const existing = this.open.get(key);
    // failures of requests already under way when it opened do not lengthen it; a failed trial does
    if (this.closed || (existing && this.clock.nowMs() < existing.untilMs)) return undefined;
    existing?.timer?.cancel();
    // Envoy-style decay: each ejectionDecayMs spent in service takes one off the ejection count
    const since = this.closedAtMs.get(key);
    const count = existing ? existing.count + 1 : nextEjectionCount(this.counts.get(key) ?? 0, since === undefined ? undefined : this.clock.nowMs() - since, this.config.ejectionDecayMs);
    this.counts.set(key, count);
    const durationMs = ejectionMs(count, this.config);
    const c: Circuit = { replicaId: upstream.replicaId, model, untilMs: this.clock.nowMs() + durationMs, count, goodChecks: 0, trial: false, kind };
    this.open.set(key, c);
    this.events.emit(EV.passiveEject, upstream.replicaId, reason, { kind, ejectionMs: durationMs, count, ...(model ? { model } : {}) });
    c.timer = this.clock.setTimer(this.config.readmitProbeIntervalMs, () => void this.probe(upstream, key, c));
    return durationMs;
  }

  close(): void {
    this.closed = true;
    for (const c of this.open.values()) c.timer?.cancel();
    this.open.clear();
  }

  private halfOpen(c: Circuit): boolean {
    return this.clock.nowMs() >= c.untilMs && c.goodChecks >= this.config.readmitSuccesses;
  }

  private current(key: string, c: Circuit): boolean {
    return !this.closed && this.open.get(key) === c;
  }

  private async probe(upstream: Upstream, key: string, c: Circuit): Promise<void> {
    if (!this.current(key, c)) return;
    const ok = await this.probes.cheapCheck(upstream);
    if (!this.current(key, c)) return;
    c.goodChecks = ok ? c.goodChecks + 1 : 0;
    const last = this.evidenceAtMs.get(key);
    const due = last === undefined || this.clock.monoMs() - last >= this.config.completionProbeIntervalMs;
    if (ok && c.goodChecks >= this.config.readmitSuccesses && due && !c.trial) {
      this.evidenceAtMs.set(key, this.clock.monoMs());
      this.probesSent += 1;
      const result = await this.probes.completion(upstream, c.model);
      if (!this.current(key, c)) return;
      if (result.ok) return this.succeeded(c.replicaId, c.model, result.reason);
    }
    c.timer = this.clock.setTimer(this.config.readmitProbeIntervalMs, () => void this.probe(upstream, key, c));
  }
}
