// Active probes of one replica (the I/O half of health checking): the agent's Health over gRPC
// (GPU, model, draining, counters) and a real inference request whose answer is checked against
// the deterministic known answer.
import { request } from 'undici';
import { labClientOptions } from '../../protocol/grpc-auth.js';
import { grpc, replicaAgentPackage } from '../../protocol/grpc.js';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { ReplicaAgentClient } from '../../gen/halab/v1/ReplicaAgent.js';
import type { ReplicaHealth__Output } from '../../gen/halab/v1/ReplicaHealth.js';
import { expectedAnswer } from '../../protocol/tokens.js';
import type { SignalName } from '../../policy/health.js';
import type { ExternalReplicaSpec } from '../../config/topology.js';

export interface SignalResult {
  readonly ok: boolean;
  readonly reason?: string;
  /** A fact rather than a flaky probe: skip the failure threshold. */
  readonly immediate?: boolean;
}

export interface ProbeResult {
  readonly gpu: SignalResult;
  readonly model: SignalResult;
  readonly inference: SignalResult;
  readonly latency: SignalResult;
  readonly errors: SignalResult;
  readonly modelVersion?: string;
  readonly draining?: boolean;
  readonly counters?: { readonly requestsTotal: number; readonly errorsTotal: number };
  /** External endpoints have no heartbeat stream: liveness comes from the probe. */
  readonly liveness?: SignalResult;
  /** Signals this probe cannot measure (e.g. GPU without a metrics URL): reported unknown, left out of health. */
  readonly unmeasured?: readonly SignalName[];
}

export interface ProbeTarget {
  readonly id: string;
  readonly httpUrl: string;
  readonly agentAddress: string;
  readonly modelVersion: string;
  readonly lastRequestsTotal: number;
  readonly lastErrorsTotal: number;
  /** Set for an external endpoint (probed by kind, see external-prober.ts). */
  readonly external?: ExternalReplicaSpec;
}

export interface ProberConfig {
  readonly modelName: string;
  readonly probeTimeoutMs: number;
  readonly latencyMaxMs: number;
  readonly errorRatioMax: number;
  /** Fewer requests than this between probes: the error signal has too little data and passes. */
  readonly errorMinRequests: number;
}

/** The agents' error signal needs this many requests since the last probe (the lab's prober setting). */
export const ERROR_MIN_REQUESTS = 5;

const SIGNAL_OK: SignalResult = Object.freeze({ ok: true });

/**
 * The error signal, pure: the error ratio of the requests a replica served since its last probe,
 * judged only past `errorMinRequests` of them (fewer: too little data, it passes). The simulated
 * agent of the virtual-time harness asks the same function.
 */
export function errorRatioSignal(requests: number, errors: number, cfg: Pick<ProberConfig, 'errorRatioMax' | 'errorMinRequests'>): SignalResult {
  if (requests < cfg.errorMinRequests) return SIGNAL_OK;
  const ratio = errors / requests;
  return ratio > cfg.errorRatioMax ? { ok: false, reason: `error ratio ${(ratio * 100).toFixed(0)}% over ${requests} requests` } : SIGNAL_OK;
}

/** GPU states that still serve: a throttled GPU is slower, and the latency signal judges that. */
const DEGRADED_GPU_STATES = new Set(['ok', 'thermal']);

export const PROBE_MESSAGES = [{ role: 'user', content: 'halab health probe: answer deterministically' }];
export const PROBE_SEED = 4242;
export const PROBE_MAX_TOKENS = 6;

/** The probe's request body (greedy: temperature 0, so a real engine's answer is deterministic too). */
export function probeBody(modelName: string): Record<string, unknown> {
  return { model: modelName, messages: PROBE_MESSAGES, seed: PROBE_SEED, max_tokens: PROBE_MAX_TOKENS, temperature: 0, stream: false };
}

/** The known answer of a stand-in running `version`. */
export function standinProbeAnswer(version: string): string {
  return expectedAnswer(version, PROBE_MESSAGES, PROBE_SEED, PROBE_MAX_TOKENS).tokens.join('');
}

/** The known answer a replica running `version` must give the probe (undefined: none known). */
export type KnownAnswerOf = (replicaId: string, version: string) => string | undefined;

export class Prober {
  private readonly agents = new Map<string, ReplicaAgentClient>();

  constructor(
    private readonly config: ProberConfig,
    private readonly clock: Clock,
    /** Default: the stand-in's deterministic answer. */
    private readonly knownAnswer: KnownAnswerOf = (_id, version) => standinProbeAnswer(version),
  ) {}

  async probe(target: ProbeTarget): Promise<ProbeResult> {
    const [health, inference] = await Promise.all([this.agentHealth(target), this.inferenceProbe(target)]);
    const version = health.ok ? health.value.modelVersion : target.modelVersion;
    const gpu: SignalResult = !health.ok
      ? { ok: false, reason: `agent: ${health.reason}` }
      : DEGRADED_GPU_STATES.has(health.value.gpu?.state ?? '')
        ? { ok: true }
        : { ok: false, reason: `gpu ${health.value.gpu?.state ?? 'unknown'}: ${health.value.gpu?.detail ?? ''}`.trim(), immediate: true };
    const model: SignalResult = !health.ok
      ? { ok: false, reason: `agent: ${health.reason}` }
      : health.value.modelLoaded
        ? { ok: true }
        : { ok: false, reason: 'model not loaded' };
    const errors = health.ok ? this.errorSignal(target, health.value) : { ok: true };
    const expected = this.knownAnswer(target.id, version);
    const inferenceOk = inference.ok && expected !== undefined && inference.text === expected;
    const wrong = expected === undefined ? `no known answer for model version ${version}` : 'wrong answer to the known-answer probe';
    return {
      gpu,
      model,
      inference: inference.ok ? (inferenceOk ? { ok: true } : { ok: false, reason: wrong }) : { ok: false, reason: inference.reason },
      latency: this.latencySignal(inference),
      errors,
      ...(health.ok
        ? {
            modelVersion: health.value.modelVersion,
            draining: health.value.draining,
            counters: { requestsTotal: health.value.requestsTotal, errorsTotal: health.value.errorsTotal },
          }
        : {}),
    };
  }

  close(): void {
    for (const client of this.agents.values()) client.close();
    this.agents.clear();
  }

  private latencySignal(inference: { ok: true; latencyMs: number } | { ok: false; timedOut: boolean }): SignalResult {
    if (!inference.ok) return inference.timedOut ? { ok: false, reason: 'probe timed out' } : { ok: true };
    return inference.latencyMs > this.config.latencyMaxMs
      ? { ok: false, reason: `probe took ${Math.round(inference.latencyMs)}ms > ${this.config.latencyMaxMs}ms` }
      : { ok: true };
  }

  private errorSignal(target: ProbeTarget, health: ReplicaHealth__Output): SignalResult {
    return errorRatioSignal(health.requestsTotal - target.lastRequestsTotal, health.errorsTotal - target.lastErrorsTotal, this.config);
  }

  private agent(address: string): ReplicaAgentClient {
    let client = this.agents.get(address);
    if (!client) {
      const { ReplicaAgent } = replicaAgentPackage();
      client = new ReplicaAgent(address, grpc.credentials.createInsecure(), labClientOptions());
      this.agents.set(address, client);
    }
    return client;
  }

  private agentHealth(target: ProbeTarget): Promise<{ ok: true; value: ReplicaHealth__Output } | { ok: false; reason: string }> {
    return new Promise((resolve) => {
      const deadline = new Date(this.clock.nowMs() + this.config.probeTimeoutMs);
      this.agent(target.agentAddress).Health({}, { deadline }, (err, value) => {
        resolve(err || !value ? { ok: false, reason: err ? err.details || err.message : 'empty reply' } : { ok: true, value });
      });
    });
  }

  private async inferenceProbe(
    target: ProbeTarget,
  ): Promise<{ ok: true; text: string; latencyMs: number } | { ok: false; reason: string; timedOut: boolean }> {
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.config.probeTimeoutMs, () => controller.abort(new Error('probe timed out')));
    const started = this.clock.monoMs();
    try {
      const res = await request(`${target.httpUrl}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-halab-probe': '1' },
        body: JSON.stringify(probeBody(this.config.modelName)),
        signal: controller.signal,
      });
      const text = await res.body.text();
      if (res.statusCode !== 200) return { ok: false, reason: `probe status ${res.statusCode}: ${text.slice(0, 120)}`, timedOut: false };
      const body = JSON.parse(text) as { choices?: { message?: { content?: string } }[] };
      return { ok: true, text: body.choices?.[0]?.message?.content ?? '', latencyMs: this.clock.monoMs() - started };
    } catch (err) {
      const timedOut = controller.signal.aborted;
      return { ok: false, reason: timedOut ? `probe timed out after ${this.config.probeTimeoutMs}ms` : `probe failed: ${errorMessage(err)}`, timedOut };
    } finally {
      timer.cancel();
    }
  }
}
