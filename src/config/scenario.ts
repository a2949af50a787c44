// Scenario files (scenarios/*.yaml): topology, seed, duration, load profile, fault schedule and
// targets. Parsed once into a readonly Scenario; an invalid file gets an error naming the file,
// the field path and what was expected.
import { z } from 'zod';
import { parseDurationMs } from '../core/duration.js';
import { ConfigError } from '../core/errors.js';
import { faultKindInfo, faultKindNames, isClientFaultKind } from './fault-kinds.js';
import type { Rng } from '../core/rng.js';
import { parseWith } from './schema-errors.js';
import { readYamlFile } from './yaml-file.js';

const duration = z.union([z.string(), z.number()]).transform((v, ctx) => {
  try {
    return parseDurationMs(v);
  } catch (err) {
    ctx.addIssue({ code: 'custom', message: (err as Error).message });
    return z.NEVER;
  }
});

const faultKind = z.string().refine((k) => faultKindInfo(k) !== undefined, {
  error: (issue) => `unknown fault kind "${String(issue.input)}"; known: ${faultKindNames().join(', ')}`,
});

const params = z
  .strictObject({
    factor: z.number().positive().optional(),
    probability: z.number().gt(0).max(1).optional(),
    afterTokens: z.number().int().positive().optional(),
    count: z.number().int().positive().optional(),
    latencyMs: z.number().min(0).optional(),
  })
  .optional();

const fixedFault = z.strictObject({ kind: faultKind, target: z.string().min(1), at: duration, for: duration.optional(), params });

const randomFault = z.strictObject({
  kind: faultKind,
  random: z.strictObject({
    /** serving-replica | replica | cluster | region, or a glob over ids like us-east-1/primary/* */
    target: z.string().min(1).default('serving-replica'),
    between: z.tuple([duration, duration]),
    count: z.number().int().min(1).max(100).default(1),
  }),
  for: duration.optional(),
  params,
});

/** A deployment the run starts at `at` through the control plane's deploy API (see src/controlplane/deploy-config.ts). */
const deployAction = z.strictObject({
  at: duration,
  version: z.string().min(1),
  strategy: z.enum(['rolling', 'blue-green', 'canary']),
  /** How the new version behaves on stand-in replicas (a bad version). */
  behaviour: z.enum(['ok', 'crash-on-load', 'slow', 'corrupt', 'error-rate']).default('ok'),
  /** The outcome the run expects; a check of the verdict. */
  expect: z.enum(['succeeded', 'rolled-back']).optional(),
  options: z
    .strictObject({
      drain: duration.optional(),
      verifyTimeout: duration.optional(),
      watch: duration.optional(),
      canaryShare: z.number().gt(0).lt(1).optional(),
      canaryReplicas: z.number().int().min(1).optional(),
      canaryTime: duration.optional(),
      analysis: duration.optional(),
      sampleInterval: duration.optional(),
      steps: z.array(z.number().gt(0).max(1)).min(1).optional(),
      stepTime: duration.optional(),
      keepBlue: duration.optional(),
      rollbackScope: z.enum(['all', 'replica']).optional(),
    })
    .default({}),
});

const targets = z.strictObject({
  /** Minimum share of requests answered completely and correctly, 0..1. */
  availability: z.number().gt(0).max(1).optional(),
  failover: duration.optional(),
  rto: duration.optional(),
  detection: duration.optional(),
  ttftP99: duration.optional(),
  failedRequests: z.number().int().min(0).optional(),
  truncatedRequests: z.number().int().min(0).optional(),
  wrongAnswers: z.number().int().min(0).optional(),
  /** Worst time from a controlplane.kill-leader to a new leader. */
  leaderChange: duration.optional(),
  /** Recovery point objective: first acknowledged-but-lost write → the failure. */
  rpo: duration.optional(),
  lostWrites: z.number().int().min(0).optional(),
  /** Disaster (controlplane.disaster) → restored control plane serving. */
  restore: duration.optional(),
  /** TTFT p99 of requests during deployments ÷ TTFT p99 in steady state (no deploy, no fault). */
  deployTtftRatio: z.number().gt(0).optional(),
  /** Worst time from a bad version taking traffic (or starting) to the rollback decision. */
  deployDetection: duration.optional(),
  /** Well-behaved clients' TTFT p99 during client-side faults ÷ their TTFT p99 outside every fault. */
  clientFaultTtftRatio: z.number().gt(0).optional(),
  /** Least share of the misbehaving clients' requests that a client-side fault may see shed (429), 0..1. */
  shedShare: z.number().min(0).max(1).optional(),
  /** Most upstream attempts per request the GLB and the gateways may make by retrying (≥ 1; e.g. 1.2 for a 0.2 retry budget). */
  retryAmplification: z.number().min(1).optional(),
});

export const scenarioSchema = z.strictObject({
  name: z.string().regex(/^[a-z0-9][a-z0-9-]*$/, 'expected a lower-case name of letters, digits and dashes'),
  description: z.string().optional(),
  topology: z.string().default('cluster/two-region.yaml'),
  topologyOverrides: z.strictObject({ timeScale: z.number().gt(0).max(10).optional(), modelLoadMs: z.number().min(0).optional() }).optional(),
  seed: z.number().int().default(1),
  duration,
  load: z
    .strictObject({
      driver: z.enum(['builtin', 'k6']).default('builtin'),
      ratePerSec: z.number().gt(0).max(5000).default(20),
      arrival: z.enum(['constant', 'poisson']).default('poisson'),
      streaming: z.boolean().default(true),
      promptTokens: z.number().int().min(1).max(8000).default(64),
      maxTokens: z.number().int().min(1).max(4096).default(64),
      timeout: duration.refine((ms) => ms > 0 && ms <= 3_600_000, 'a request timeout must be more than 0 and at most 1h').default(30_000),
      clientRegion: z.string().optional(),
      /** k6 driver: VUs started up front and at most (defaults from rate and timeout). */
      preAllocatedVUs: z.number().int().min(1).max(10_000).optional(),
      maxVUs: z.number().int().min(1).max(10_000).optional(),
      /** Stored completions (`store: true`): every ok answer is an acknowledged write, read back after the run. */
      store: z.boolean().optional(),
    })
    .default({ driver: 'builtin', ratePerSec: 20, arrival: 'poisson', streaming: true, promptTokens: 64, maxTokens: 64, timeout: 30_000 }),
  faults: z.array(z.union([fixedFault, randomFault])).default([]),
  deploys: z.array(deployAction).default([]),
  targets: targets.default({}),
});

type Parsed = z.infer<typeof scenarioSchema>;

export interface Targets {
  readonly availability?: number;
  readonly failoverMs?: number;
  readonly rtoMs?: number;
  readonly detectionMs?: number;
  readonly ttftP99Ms?: number;
  readonly failedRequests?: number;
  readonly truncatedRequests?: number;
  readonly wrongAnswers?: number;
  readonly leaderChangeMs?: number;
  readonly rpoMs?: number;
  readonly lostWrites?: number;
  readonly restoreMs?: number;
  readonly deployTtftRatio?: number;
  readonly deployDetectionMs?: number;
  readonly clientFaultTtftRatio?: number;
  readonly shedShare?: number;
  readonly retryAmplification?: number;
}

export type DeployActionSpec = z.infer<typeof deployAction>;

export interface Scenario {
  readonly file: string;
  readonly name: string;
  readonly description?: string;
  readonly topology: string;
  readonly topologyOverrides?: { readonly timeScale?: number; readonly modelLoadMs?: number };
  readonly seed: number;
  readonly durationMs: number;
  readonly load: {
    readonly driver: 'builtin' | 'k6';
    readonly ratePerSec: number;
    readonly arrival: 'constant' | 'poisson';
    readonly streaming: boolean;
    readonly promptTokens: number;
    readonly maxTokens: number;
    readonly timeoutMs: number;
    readonly clientRegion?: string;
    readonly preAllocatedVUs?: number;
    readonly maxVUs?: number;
    readonly store?: boolean;
  };
  readonly faults: Parsed['faults'];
  readonly deploys: readonly DeployActionSpec[];
  readonly targets: Targets;
  /** Lab time compression this scenario runs at (src/run/time-scale.ts); absent: 1, real time. */
  readonly timeScale?: number;
}

function defined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** The targets in ms: a compressed run (time scale s) compares its real-ms figures with these × s. */
export const MS_TARGETS = ['failoverMs', 'rtoMs', 'detectionMs', 'ttftP99Ms', 'leaderChangeMs', 'rpoMs', 'restoreMs', 'deployDetectionMs'] as const;

/** Targets for a run at lab time scale s: every ms target × s (ratios and counts unchanged). */
export function scaleTargets(targets: Targets, s: number): Targets {
  if (s === 1) return targets;
  const out: Record<string, unknown> = { ...targets };
  for (const k of MS_TARGETS) if (typeof out[k] === 'number') out[k] = Math.round((out[k] as number) * s);
  return out as Targets;
}

/** Validates a parsed scenario document. */
export function buildScenario(data: unknown, file: string): Scenario {
  const p = parseWith(scenarioSchema, data, file);
  p.faults.forEach((f, i) => {
    const at = 'at' in f ? f.at : f.random.between[1];
    if ('random' in f && f.random.between[0] > f.random.between[1]) {
      throw new ConfigError(file, `faults[${i}].random.between`, 'expected [earliest, latest] with earliest <= latest');
    }
    if (at > p.duration) throw new ConfigError(file, `faults[${i}]${'at' in f ? '.at' : '.random.between'}`, `fault time ${at}ms is after the end of the run (${p.duration}ms)`);
  });
  p.faults.forEach((f, i) => {
    if (!isClientFaultKind(f.kind)) return;
    if ('target' in f && f.target !== 'clients') throw new ConfigError(file, `faults[${i}].target`, `${f.kind} is a client-side fault: expected target "clients", not "${f.target}"`);
    if (p.load.driver !== 'builtin') throw new ConfigError(file, `faults[${i}].kind`, `${f.kind} is applied by the built-in load driver; set load.driver: builtin`);
  });
  p.deploys.forEach((d, i) => {
    if (d.at > p.duration) throw new ConfigError(file, `deploys[${i}].at`, `deploy time ${d.at}ms is after the end of the run (${p.duration}ms)`);
    const steps = d.options.steps;
    if (steps && (steps.some((v, j) => j > 0 && v <= steps[j - 1]!) || steps[steps.length - 1] !== 1)) {
      throw new ConfigError(file, `deploys[${i}].options.steps`, 'expected ascending traffic shares ending at 1');
    }
  });
  const { timeout, ...load } = p.load;
  return Object.freeze({
    file,
    name: p.name,
    ...(p.description ? { description: p.description } : {}),
    topology: p.topology,
    ...(p.topologyOverrides ? { topologyOverrides: defined(p.topologyOverrides) } : {}),
    seed: p.seed,
    durationMs: p.duration,
    load: defined({ ...load, timeoutMs: timeout }),
    faults: p.faults,
    deploys: p.deploys,
    targets: defined({
      availability: p.targets.availability,
      failoverMs: p.targets.failover,
      rtoMs: p.targets.rto,
      detectionMs: p.targets.detection,
      ttftP99Ms: p.targets.ttftP99,
      failedRequests: p.targets.failedRequests,
      truncatedRequests: p.targets.truncatedRequests,
      wrongAnswers: p.targets.wrongAnswers,
      leaderChangeMs: p.targets.leaderChange,
      rpoMs: p.targets.rpo,
      lostWrites: p.targets.lostWrites,
      restoreMs: p.targets.restore,
      deployTtftRatio: p.targets.deployTtftRatio,
      deployDetectionMs: p.targets.deployDetection,
      clientFaultTtftRatio: p.targets.clientFaultTtftRatio,
      shedShare: p.targets.shedShare,
      retryAmplification: p.targets.retryAmplification,
    }),
  });
}

/** Reads and validates a scenario file. */
export function loadScenario(file: string): Scenario {
  const data = readYamlFile(file, 'scenario file');
  return buildScenario(data, file);
}

export interface ScheduleCandidates {
  readonly replicas: readonly string[];
  /** Replicas routable when the schedule is drawn. */
  readonly serving: readonly string[];
  readonly clusters: readonly string[];
  readonly regions: readonly string[];
}

export interface ResolvedFault {
  readonly faultId: string;
  readonly kind: string;
  readonly target: string;
  readonly atMs: number;
  readonly forMs?: number;
  readonly params?: Readonly<Record<string, number>>;
}

function globToRegExp(glob: string): RegExp {
  return new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*')}$`);
}

function candidatesFor(spec: string, kind: string, c: ScheduleCandidates): readonly string[] {
  const targetKind = faultKindInfo(kind)!.target;
  if (targetKind === 'clients') return ['clients'];
  const pool = targetKind === 'replica' ? c.replicas : targetKind === 'cluster' ? c.clusters : targetKind === 'controlplane' ? ['controlplane'] : c.regions;
  if (spec === 'serving-replica') return targetKind === 'replica' ? c.serving : pool;
  if (spec === 'replica' || spec === 'cluster' || spec === 'region') return pool;
  const re = globToRegExp(spec);
  return pool.filter((id) => re.test(id));
}

/**
 * Turns the scenario's faults into a concrete, time-ordered schedule. Random faults draw their
 * time and target from `rng` (fork it from the run seed), so a seed always gives the same schedule.
 */
export function resolveSchedule(scenario: Scenario, candidates: ScheduleCandidates, rng: Rng): ResolvedFault[] {
  const out: ResolvedFault[] = [];
  // Targets already used by earlier faults: random faults prefer others, so overlapping faults
  // hit different replicas (falling back to any candidate when every one is taken).
  const taken = new Set<string>(scenario.faults.flatMap((f) => ('target' in f ? [f.target] : [])));
  scenario.faults.forEach((f, i) => {
    const common = { kind: f.kind, ...(f.for !== undefined ? { forMs: f.for } : {}), ...(f.params ? { params: f.params as Record<string, number> } : {}) };
    if ('at' in f) {
      out.push({ faultId: `s${i}-${f.kind}`, target: f.target, atMs: f.at, ...common });
      return;
    }
    const pool = [...candidatesFor(f.random.target, f.kind, candidates)].sort();
    if (pool.length === 0) throw new ConfigError(scenario.file, `faults[${i}].random.target`, `no ${f.random.target} matches in this topology`);
    for (let n = 0; n < f.random.count; n++) {
      const left = pool.filter((id) => !taken.has(id));
      const target = rng.pick(left.length > 0 ? left : pool);
      taken.add(target);
      const atMs = Math.round(rng.uniform(f.random.between[0], f.random.between[1]));
      out.push({ faultId: `s${i}.${n}-${f.kind}`, target, atMs, ...common });
    }
  });
  return out.sort((a, b) => a.atMs - b.atMs || a.faultId.localeCompare(b.faultId));
}
