// Deployment settings with their named defaults (the seed's waits: 60 s drain, 5 min per replica,
// 10 min per traffic step, 1 h keep-blue) and the validation of a deploy request. Pure.
import { HalabError } from '../core/errors.js';
import { MODEL_BEHAVIOURS, type ModelBehaviour } from '../config/model-behaviours.js';

export const DEPLOY_STRATEGIES = ['rolling', 'blue-green', 'canary'] as const;
export type DeployStrategy = (typeof DEPLOY_STRATEGIES)[number];
export type RollbackScope = 'all' | 'replica';

export interface DeployConfig {
  /** Bound on waiting for a replica's in-flight requests after it left routing. */
  readonly drainMs: number;
  /** Bound on a replica (or green set) becoming healthy on the new version after loading it. */
  readonly verifyTimeoutMs: number;
  /** How long an updated replica is watched (must stay healthy) before the next one. */
  readonly watchMs: number;
  /** Wait after taking a replica out of routing, so gateways have the new topology before the drain. */
  readonly settleMs: number;
  /** Canary: share of new requests sent to the canary replicas (0..1). */
  readonly canaryShare: number;
  /** Canary: canary replicas per region (taken from its primary clusters). */
  readonly canaryReplicas: number;
  /** Canary: longest time the canary is analysed before it is promoted. */
  readonly canaryMs: number;
  /** Canary and blue-green: one analysis window (a verdict after each). */
  readonly analysisMs: number;
  /** Canary judge and green SLO check: one synthetic request per group this often. */
  readonly sampleIntervalMs: number;
  /** Blue-green: green's share of traffic at each step, ascending, the last one 1. */
  readonly steps: readonly number[];
  /** Blue-green: time at each traffic step (SLO-checked throughout). */
  readonly stepMs: number;
  /** Blue-green: blue stays up (routable at weight 0, for instant rollback) this long after 100%. */
  readonly keepBlueMs: number;
  readonly rollbackScope: RollbackScope;
}

export const DEFAULT_DEPLOY_CONFIG: DeployConfig = Object.freeze({
  drainMs: 60_000,
  verifyTimeoutMs: 300_000,
  watchMs: 300_000,
  settleMs: 200,
  canaryShare: 0.1,
  canaryReplicas: 1,
  canaryMs: 600_000,
  analysisMs: 60_000,
  sampleIntervalMs: 250,
  steps: Object.freeze([0.1, 0.5, 1]),
  stepMs: 600_000,
  keepBlueMs: 3_600_000,
  rollbackScope: 'all' as const,
});

/** SLOs the canary judge and the green check hold the new version to. */
export interface DeploySlo {
  /** Largest acceptable error ratio of synthetic requests. */
  readonly errorRateMax: number;
  /** Significance level of the one-sided tests (canary worse than baseline). */
  readonly alpha: number;
  /** A latency difference below this ratio (canary median / baseline median) is not a regression. */
  readonly latencyRatioMax: number;
  /** Samples per group before any statistical verdict. */
  readonly minSamples: number;
  /** Green SLO: time to first token p99 bound, ms. */
  readonly ttftP99MaxMs: number;
  /** Green SLO: inter-token latency p99 bound, ms. */
  readonly itlP99MaxMs: number;
}

export const DEFAULT_DEPLOY_SLO: DeploySlo = Object.freeze({
  errorRateMax: 0.02,
  alpha: 0.01,
  latencyRatioMax: 1.3,
  minSamples: 12,
  ttftP99MaxMs: 2000,
  itlP99MaxMs: 100,
});

export interface DeployRequestInput {
  readonly modelVersion: string;
  readonly strategy: string;
  readonly behaviour: string;
  readonly options: Partial<Record<keyof DeployConfig, unknown>>;
}

export interface ValidDeployRequest {
  readonly modelVersion: string;
  readonly strategy: DeployStrategy;
  readonly behaviour: ModelBehaviour;
  readonly config: DeployConfig;
}

function bad(field: string, expected: string): never {
  throw new HalabError('USAGE', `deploy ${field}: ${expected}`);
}

function duration(field: keyof DeployConfig, v: unknown, fallback: number): number {
  if (v === undefined || v === 0) return fallback;
  if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) bad(field, `expected a duration >= 0 ms, got ${String(v)}`);
  return v;
}

/** Validates a deploy request; zero or missing options take the defaults. Throws USAGE naming the field. */
export function validateDeployRequest(input: DeployRequestInput, defaults: DeployConfig = DEFAULT_DEPLOY_CONFIG): ValidDeployRequest {
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/.test(input.modelVersion)) bad('model version', `expected letters, digits, . _ + - (at most 64), got "${input.modelVersion}"`);
  if (!(DEPLOY_STRATEGIES as readonly string[]).includes(input.strategy)) bad('strategy', `expected one of ${DEPLOY_STRATEGIES.join(', ')}, got "${input.strategy}"`);
  const behaviour = input.behaviour || 'ok';
  if (!(MODEL_BEHAVIOURS as readonly string[]).includes(behaviour)) bad('behaviour', `expected one of ${MODEL_BEHAVIOURS.join(', ')}, got "${behaviour}"`);
  const o = input.options;
  const share = o.canaryShare === undefined || o.canaryShare === 0 ? defaults.canaryShare : o.canaryShare;
  if (typeof share !== 'number' || !(share > 0 && share < 1)) bad('canary share', `expected a fraction between 0 and 1 (exclusive), got ${String(share)}`);
  const steps = o.steps === undefined || (Array.isArray(o.steps) && o.steps.length === 0) ? defaults.steps : o.steps;
  if (!Array.isArray(steps) || steps.some((s) => typeof s !== 'number' || !(s > 0 && s <= 1))) bad('steps', 'expected traffic shares in (0, 1], e.g. 0.1,0.5,1');
  const sorted = steps as number[];
  if (sorted.some((s, i) => i > 0 && s <= sorted[i - 1]!) || sorted[sorted.length - 1] !== 1) bad('steps', `expected ascending shares ending at 1 (100%), got ${sorted.join(',')}`);
  const canaryReplicas = o.canaryReplicas === undefined || o.canaryReplicas === 0 ? defaults.canaryReplicas : o.canaryReplicas;
  if (typeof canaryReplicas !== 'number' || !Number.isInteger(canaryReplicas) || canaryReplicas < 1) bad('canary replicas', `expected an integer >= 1, got ${String(canaryReplicas)}`);
  const scope = o.rollbackScope === undefined || o.rollbackScope === '' ? defaults.rollbackScope : o.rollbackScope;
  if (scope !== 'all' && scope !== 'replica') bad('rollback scope', `expected all or replica, got "${String(scope)}"`);
  const sampleIntervalMs = duration('sampleIntervalMs', o.sampleIntervalMs, defaults.sampleIntervalMs);
  if (sampleIntervalMs < 20) bad('sample interval', 'expected at least 20 ms');
  return {
    modelVersion: input.modelVersion,
    strategy: input.strategy as DeployStrategy,
    behaviour: behaviour as ModelBehaviour,
    config: Object.freeze({
      drainMs: duration('drainMs', o.drainMs, defaults.drainMs),
      verifyTimeoutMs: duration('verifyTimeoutMs', o.verifyTimeoutMs, defaults.verifyTimeoutMs),
      watchMs: duration('watchMs', o.watchMs, defaults.watchMs),
      settleMs: defaults.settleMs,
      canaryShare: share,
      canaryReplicas,
      canaryMs: duration('canaryMs', o.canaryMs, defaults.canaryMs),
      analysisMs: duration('analysisMs', o.analysisMs, defaults.analysisMs),
      sampleIntervalMs,
      steps: Object.freeze([...sorted]),
      stepMs: duration('stepMs', o.stepMs, defaults.stepMs),
      keepBlueMs: duration('keepBlueMs', o.keepBlueMs, defaults.keepBlueMs),
      rollbackScope: scope,
    }),
  };
}
