// Active health checks of external OpenAI-compatible endpoints, by kind (there is no agent):
//   vllm      GET /health, GET /v1/models (the model is listed), GET /metrics (vLLM metric names)
//   tgi       GET /health, GET /info (model_id)
//   llamacpp  GET /health (503 while loading), GET /slots
//   generic   GET /v1/models every probe, plus a real completion of each model the routes send it
//             — budgeted: at most one per completionIntervalMs per endpoint × model (default 5 s),
//             none while /v1/models fails, and one at once when /v1/models comes back; between
//             them the last completion's verdict stands
// /v1/models must list every model the topology's route groups send the endpoint.
// GPU health comes from a DCGM-exporter-style metrics URL when one is configured (Xid errors fail
// it at once); without one the GPU signal is not measured and is reported unknown, not healthy.
import { request } from 'undici';
import type { Clock } from '../../core/clock.js';
import { errorMessage } from '../../core/errors.js';
import type { EndpointKind } from '../../config/topology-external.js';
import type { ExternalReplicaSpec } from '../../config/topology.js';
import type { ProbeResult, SignalResult } from './prober.js';

export interface ExternalProberConfig {
  readonly probeTimeoutMs: number;
  readonly latencyMaxMs: number;
  /** At most one completion probe per endpoint × model this often (default DEFAULT_COMPLETION_PROBE_INTERVAL_MS). */
  readonly completionIntervalMs?: number;
}

export const DEFAULT_COMPLETION_PROBE_INTERVAL_MS = 5000;

interface CompletionVerdict {
  readonly atMs: number;
  readonly result: SignalResult;
}

export interface ExternalTarget {
  readonly id: string;
  readonly httpUrl: string;
  readonly external: ExternalReplicaSpec;
}

/** Metric names a real vLLM server exposes; their absence means it is not (or not really) vLLM. */
export const VLLM_METRICS = ['vllm:num_requests_running', 'vllm:num_requests_waiting'] as const;

const OK: SignalResult = { ok: true };

interface Fetched {
  readonly status: number;
  readonly text: string;
}

/** Value of the first sample of a Prometheus metric in an exposition text (summed over series). */
export function metricValue(text: string, name: string): number | undefined {
  let total: number | undefined;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name) || (line[name.length] !== '{' && line[name.length] !== ' ')) continue;
    const value = Number(line.trim().split(/\s+/).at(-1));
    if (Number.isFinite(value)) total = (total ?? 0) + value;
  }
  return total;
}

/** GPU signal from a DCGM exporter page: Xid errors are a fact (immediate), not a flaky probe. */
export function dcgmSignal(text: string): SignalResult {
  const xid = metricValue(text, 'DCGM_FI_DEV_XID_ERRORS');
  if (xid === undefined) return { ok: false, reason: 'no DCGM_FI_DEV_XID_ERRORS in the GPU metrics' };
  if (xid > 0) return { ok: false, reason: `GPU reports Xid ${xid}`, immediate: true };
  return OK;
}

export class ExternalProber {
  /** Last completion probe per endpoint × model. */
  private readonly verdicts = new Map<string, CompletionVerdict>();
  /** Whether each endpoint's cheap check passed last time. */
  private readonly liveBefore = new Map<string, boolean>();
  /** Completion probes sent (the probe cost). */
  completionProbes = 0;

  constructor(
    private readonly config: ExternalProberConfig,
    private readonly clock: Clock,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  async probe(target: ExternalTarget): Promise<ProbeResult> {
    const started = this.clock.monoMs();
    const [checks, gpu] = await Promise.all([this.byKind(target.external.kind, target), this.gpu(target)]);
    const elapsedMs = this.clock.monoMs() - started;
    const latency: SignalResult = !checks.liveness.ok
      ? OK
      : elapsedMs > this.config.latencyMaxMs
        ? { ok: false, reason: `health checks took ${Math.round(elapsedMs)}ms > ${this.config.latencyMaxMs}ms` }
        : OK;
    return {
      liveness: checks.liveness,
      model: checks.model,
      inference: checks.inference,
      latency,
      errors: OK,
      gpu: gpu ?? OK,
      ...(gpu ? {} : { unmeasured: ['gpu'] as const }),
    };
  }

  private headers(target: ExternalTarget): Record<string, string> {
    const key = target.external.apiKeyEnv ? this.env[target.external.apiKeyEnv] : undefined;
    return key ? { authorization: `Bearer ${key}` } : {};
  }

  private async get(url: string, headers: Record<string, string>, init: { method?: 'GET' | 'POST'; body?: string } = {}): Promise<Fetched | { error: string }> {
    const controller = new AbortController();
    const timer = this.clock.setTimer(this.config.probeTimeoutMs, () => controller.abort(new Error('timeout')));
    try {
      const res = await request(url, {
        method: init.method ?? 'GET',
        headers: { ...headers, ...(init.body ? { 'content-type': 'application/json', 'x-halab-probe': '1' } : {}) },
        ...(init.body ? { body: init.body } : {}),
        signal: controller.signal,
      });
      return { status: res.statusCode, text: await res.body.text() };
    } catch (err) {
      return { error: controller.signal.aborted ? `timed out after ${this.config.probeTimeoutMs}ms` : errorMessage(err) };
    } finally {
      timer.cancel();
    }
  }

  private async byKind(kind: EndpointKind, t: ExternalTarget): Promise<{ liveness: SignalResult; model: SignalResult; inference: SignalResult }> {
    const h = this.headers(t);
    const base = t.httpUrl;
    const down = (path: string, r: { error: string }): SignalResult => ({ ok: false, reason: `GET ${path}: ${r.error}` });
    const status = (path: string, r: Fetched, want = 200): SignalResult => (r.status === want ? OK : { ok: false, reason: `GET ${path}: status ${r.status}` });
    const modelListed = (r: Fetched | { error: string }): SignalResult => {
      if ('error' in r) return down('/v1/models', r);
      if (r.status !== 200) return status('/v1/models', r);
      try {
        const ids = ((JSON.parse(r.text) as { data?: { id?: string }[] }).data ?? []).map((m) => m.id);
        const missing = this.models(t).filter((m) => !ids.includes(m));
        return missing.length === 0 ? OK : { ok: false, reason: `/v1/models does not list ${missing.join(', ')} (lists ${ids.join(', ') || 'nothing'})` };
      } catch {
        return { ok: false, reason: '/v1/models is not JSON' };
      }
    };
    if (kind === 'generic') {
      const models = await this.get(`${base}/v1/models`, h);
      const liveness = 'error' in models ? down('/v1/models', models) : OK;
      const wasLive = this.liveBefore.get(t.id);
      this.liveBefore.set(t.id, liveness.ok);
      const inference = liveness.ok ? await this.completions(t, h, wasLive === false) : liveness;
      return { liveness, model: modelListed(models), inference };
    }
    const health = await this.get(`${base}/health`, h);
    if ('error' in health) {
      const r = down('/health', health);
      return { liveness: r, model: r, inference: r };
    }
    const liveness = OK; // it answered; whether it is ready is the model/inference signals' business
    if (kind === 'vllm') {
      const [models, metrics] = await Promise.all([this.get(`${base}/v1/models`, h), this.get(`${base}/metrics`, h)]);
      const missing = 'error' in metrics ? [] : VLLM_METRICS.filter((m) => metricValue(metrics.text, m) === undefined);
      const inference: SignalResult = status('/health', health).ok
        ? 'error' in metrics
          ? down('/metrics', metrics)
          : missing.length
            ? { ok: false, reason: `/metrics lacks vLLM metrics: ${missing.join(', ')}` }
            : OK
        : status('/health', health);
      return { liveness, model: modelListed(models), inference };
    }
    if (kind === 'tgi') {
      const info = await this.get(`${base}/info`, h);
      let model: SignalResult;
      if ('error' in info) model = down('/info', info);
      else if (info.status !== 200) model = status('/info', info);
      else {
        try {
          model = (JSON.parse(info.text) as { model_id?: string }).model_id ? OK : { ok: false, reason: '/info has no model_id' };
        } catch {
          model = { ok: false, reason: '/info is not JSON' };
        }
      }
      return { liveness, model, inference: status('/health', health) };
    }
    // llama.cpp server: /health is 503 while the model loads; /slots lists the slots
    const slots = await this.get(`${base}/slots`, h);
    const model: SignalResult = health.status === 503 ? { ok: false, reason: 'model loading (/health 503)' } : status('/health', health);
    let inference: SignalResult;
    if ('error' in slots) inference = down('/slots', slots);
    else if (slots.status !== 200) inference = status('/slots', slots);
    else {
      try {
        inference = Array.isArray(JSON.parse(slots.text)) ? OK : { ok: false, reason: '/slots is not a list' };
      } catch {
        inference = { ok: false, reason: '/slots is not JSON' };
      }
    }
    return { liveness, model, inference };
  }

  private models(t: ExternalTarget): readonly string[] {
    return t.external.models?.length ? t.external.models : [t.external.model];
  }

  /** The inference signal from each model's completion probe, sending only those due (or all, `now`). */
  private async completions(t: ExternalTarget, h: Record<string, string>, now: boolean): Promise<SignalResult> {
    const intervalMs = this.config.completionIntervalMs ?? DEFAULT_COMPLETION_PROBE_INTERVAL_MS;
    const results = await Promise.all(
      this.models(t).map(async (model) => {
        const key = `${t.id}\u0000${model}`;
        const last = this.verdicts.get(key);
        if (!now && last && this.clock.monoMs() - last.atMs < intervalMs) return last.result;
        this.completionProbes += 1;
        const result = await this.completion(t, h, model);
        this.verdicts.set(key, { atMs: this.clock.monoMs(), result });
        return result;
      }),
    );
    return results.find((r) => !r.ok) ?? OK;
  }

  private async completion(t: ExternalTarget, h: Record<string, string>, model: string): Promise<SignalResult> {
    const completion = await this.get(`${t.httpUrl}/v1/chat/completions`, h, {
      method: 'POST',
      body: JSON.stringify({ model, messages: [{ role: 'user', content: 'halab health probe: say ok' }], max_tokens: 2, temperature: 0, seed: 4242, stream: false }),
    });
    if ('error' in completion) return { ok: false, reason: `probe completion of ${model}: ${completion.error}` };
    if (completion.status !== 200) return { ok: false, reason: `probe completion of ${model}: status ${completion.status}: ${completion.text.slice(0, 120)}` };
    try {
      const content = (JSON.parse(completion.text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content;
      return typeof content === 'string' && content.length > 0 ? OK : { ok: false, reason: `probe completion of ${model} returned no content` };
    } catch {
      return { ok: false, reason: `probe completion of ${model} is not JSON` };
    }
  }

  private async gpu(t: ExternalTarget): Promise<SignalResult | undefined> {
    if (!t.external.gpuMetricsUrl) return undefined;
    const r = await this.get(t.external.gpuMetricsUrl, {});
    if ('error' in r) return { ok: false, reason: `GPU metrics: ${r.error}` };
    if (r.status !== 200) return { ok: false, reason: `GPU metrics: status ${r.status}` };
    return dcgmSignal(r.text);
  }
}
