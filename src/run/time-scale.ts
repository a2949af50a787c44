// Lab time compression (`halab run --time-scale s`, a suite's `timeScale`): with s = 0.5 one
// second of lab time passes in half a real second. Everything a check depends on is scaled by the
// same factor so every ratio stays: the scenario's duration, fault times and lengths (and fault
// params in ms), deploy times and options, the client timeout, the load rate (÷ s: the same
// requests per lab second against a stand-in that is 1/s times faster), the stand-in's token timing
// and model load (topology `timeScale`), the control plane's heartbeat and probe intervals (which
// follow the topology's `timeScale`), the gateways' and the GLB's timers, and the inter-region
// latency. Targets in ms are scaled too, so a run's figures (measured in real ms) are compared with
// targets in the same units; the report states the scale and the figures in lab time (real ÷ s).
// Process start-up, CPU and the kernel are not compressed: they are the same real cost, i.e. 1/s
// times longer in lab time, which makes a compressed run stricter, never looser.
// A lab with real engines (llama.cpp) or external endpoints cannot be compressed: it runs at 1.
import { DEFAULT_GATEWAY_CONFIG } from '../gateway/regional/config.js';
import { DEFAULT_GLB_CONFIG } from '../gateway/global/config.js';
import { entrySectionSchema, gatewaySectionSchema } from '../config/topology-gateway.js';
import { scaleTargets, type Scenario } from '../config/scenario.js';
import type { Topology } from '../config/topology.js';
import { HalabError } from '../core/errors.js';
import { DEFAULT_DEPLOY_CONFIG, type DeployConfig } from '../policy/rollout-config.js';

/** The smallest time scale accepted: below it timer and scheduling noise dominates every figure. */
export const MIN_TIME_SCALE = 0.1;

/** Parses a `--time-scale` flag value: a number in [0.1, 1]. */
export function parseTimeScale(text: string, flag = '--time-scale'): number {
  const s = Number(text);
  if (!/^\d*\.?\d+$/.test(text.trim()) || !Number.isFinite(s) || s < MIN_TIME_SCALE || s > 1) {
    throw new HalabError('USAGE', `${flag} must be a number from ${MIN_TIME_SCALE} to 1 (lab time compressed s times), not "${text}"`);
  }
  return s;
}

/** Why a topology cannot be compressed, or undefined when it can. */
export function uncompressibleReason(topology: Topology): string | undefined {
  if (topology.clusters.some((c) => c.runtime === 'llamacpp')) return 'real llama.cpp engines run in real time';
  if (topology.external || topology.replicas.some((r) => r.external)) return 'external endpoints run in real time';
  if (topology.regions.some((r) => r.clusters.some((c) => (c as { container?: boolean }).container))) return 'containers start, stop and pause in real time';
  return undefined;
}

/** Scenario deploy option → the DeployConfig default it overrides (every timing option). */
const DEPLOY_TIMING_OPTIONS = {
  drain: 'drainMs',
  verifyTimeout: 'verifyTimeoutMs',
  watch: 'watchMs',
  canaryTime: 'canaryMs',
  analysis: 'analysisMs',
  sampleInterval: 'sampleIntervalMs',
  stepTime: 'stepMs',
  keepBlue: 'keepBlueMs',
} as const satisfies Record<string, keyof DeployConfig>;

const scaleMs = (ms: number, s: number): number => Math.max(1, Math.round(ms * s));

/** A scenario with every duration, the load rate and every ms target scaled for lab time scale s. */
export function scaleScenario(scenario: Scenario, s: number): Scenario {
  if (s === 1) return scenario;
  const dur = (ms: number): number => Math.round(ms * s);
  const params = (p: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
    p && Object.fromEntries(Object.entries(p).map(([k, v]) => [k, k.endsWith('Ms') && typeof v === 'number' ? dur(v) : v]));
  const faults = scenario.faults.map((f) => ({
    ...f,
    ...('at' in f ? { at: dur(f.at) } : { random: { ...f.random, between: [dur(f.random.between[0]), dur(f.random.between[1])] as [number, number] } }),
    ...(f.for !== undefined ? { for: dur(f.for) } : {}),
    ...(f.params ? { params: params(f.params) } : {}),
  })) as Scenario['faults'];
  // each deployment timing option, given or the control plane's default, scaled
  const deploys = scenario.deploys.map((d) => {
    const options: Record<string, unknown> = { ...d.options };
    for (const [option, key] of Object.entries(DEPLOY_TIMING_OPTIONS)) options[option] = dur((options[option] as number | undefined) ?? DEFAULT_DEPLOY_CONFIG[key]);
    return { ...d, at: dur(d.at), options };
  }) as unknown as Scenario['deploys'];
  return Object.freeze({
    ...scenario,
    durationMs: dur(scenario.durationMs),
    load: { ...scenario.load, ratePerSec: scenario.load.ratePerSec / s, timeoutMs: dur(scenario.load.timeoutMs) },
    faults,
    deploys,
    targets: scaleTargets(scenario.targets, s),
    timeScale: s,
  });
}

/**
 * Kept in real time: deadlines and overload thresholds that guard against the machine, not lab
 * behaviour — connecting, the GLB's health-check deadline, admission's shedding thresholds (event-loop
 * lag, queue wait, the time-to-first-byte target and its window: a compressed lab does not make
 * the machine faster), and the GLB's first-token, stall and stored-read deadlines (a backstop behind
 * the regional gateways, whose own deadlines are scaled and act first). Compressed, they turned CPU
 * contention on a 2-core machine into failed requests (shed 429s, timeouts).
 */
const REAL_TIME_SETTINGS = new Set(['connectTimeoutMs', 'checkTimeoutMs', 'loopDelayShedMs', 'queueWaitMaxMs', 'ttftTargetMs', 'latencyWindowMs']);
const REAL_TIME_ENTRY_SETTINGS = new Set([...REAL_TIME_SETTINGS, 'firstTokenTimeoutMs', 'stallTimeoutMs', 'storedReadTimeoutMs']);

function scaledSection(defaults: Readonly<Record<string, unknown>>, keys: readonly string[], given: Record<string, unknown> | undefined, s: number, real: ReadonlySet<string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) {
    if (!k.endsWith('Ms') || real.has(k)) continue;
    const v = given?.[k] ?? defaults[k];
    if (typeof v === 'number') out[k] = scaleMs(v, s);
  }
  return { ...(given ?? {}), ...out };
}

/**
 * A topology document scaled for lab time scale s: the gateways' and GLB's timers (each setting the
 * topology may set, from its value or the default), the inter-region latency. The stand-in's timing
 * and the control plane's intervals follow `timeScale`, which scaleScenario already set.
 */
export function scaleTopologyDoc(doc: Record<string, unknown>, s: number): Record<string, unknown> {
  if (s === 1) return doc;
  const links = (doc.links ?? {}) as { interRegionLatencyMs?: number };
  // the leadership lease is whole seconds (at least 1): scaled as far as that allows
  const cp = (doc.controlPlane ?? {}) as { leaseTtlS?: number };
  const leaseTtlS = Math.max(1, Math.round((cp.leaseTtlS ?? 2) * s));
  return {
    ...doc,
    gateway: scaledSection(DEFAULT_GATEWAY_CONFIG as unknown as Record<string, unknown>, Object.keys(gatewaySectionSchema.shape), doc.gateway as Record<string, unknown> | undefined, s, REAL_TIME_SETTINGS),
    entry: scaledSection(DEFAULT_GLB_CONFIG as unknown as Record<string, unknown>, Object.keys(entrySectionSchema.shape), doc.entry as Record<string, unknown> | undefined, s, REAL_TIME_ENTRY_SETTINGS),
    timeScale: (typeof doc.timeScale === 'number' ? doc.timeScale : 1) * s,
    controlPlane: { ...cp, leaseTtlS },
    links: { ...links, interRegionLatencyMs: Math.round((links.interRegionLatencyMs ?? 30) * s) },
  };
}
