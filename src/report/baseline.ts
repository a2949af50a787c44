// Baselines and the regression gate: a baseline keeps a run's headline figures with a tolerance
// per metric; the gate compares a later run against it and lists what regressed by how much.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { HalabError } from '../core/errors.js';
import { parseWith } from '../config/schema-errors.js';
import type { RunReport } from './run-report.js';

/** Which way is worse, and how much slack a metric has before it counts as a regression. */
export interface Tolerance {
  readonly better: 'higher' | 'lower';
  /** Absolute slack, in the metric's unit. */
  readonly abs: number;
  /** Relative slack, as a fraction of the baseline value. */
  readonly rel: number;
}

export const DEFAULT_TOLERANCES: Readonly<Record<string, Tolerance>> = Object.freeze({
  availability: { better: 'higher', abs: 0.0005, rel: 0 },
  failedRequests: { better: 'lower', abs: 0, rel: 0 },
  truncatedRequests: { better: 'lower', abs: 0, rel: 0 },
  wrongAnswers: { better: 'lower', abs: 2, rel: 0.5 },
  ttftP99Ms: { better: 'lower', abs: 100, rel: 0.5 },
  detectionMs: { better: 'lower', abs: 250, rel: 0.5 },
  failoverMs: { better: 'lower', abs: 250, rel: 0.5 },
  rtoMs: { better: 'lower', abs: 1000, rel: 0.5 },
});

export type Figures = Record<string, number | null>;

/** The figures a baseline keeps, from a report (worst over faults for per-fault times). */
export function headlineFigures(r: RunReport): Figures {
  const worst = (pick: (f: RunReport['faults'][number]) => number | null): number | null => {
    const xs = r.faults.filter((f) => f.replicas.length > 0).map(pick);
    if (xs.length === 0) return null;
    return xs.some((x) => x === null) ? null : Math.max(...(xs as number[]));
  };
  return {
    availability: r.metrics.availability,
    failedRequests: r.metrics.requests.failed + r.metrics.requests.timedOut,
    truncatedRequests: r.metrics.requests.truncated,
    wrongAnswers: r.metrics.requests.wrongAnswers,
    ttftP99Ms: r.metrics.latency.ttftMs.p99,
    detectionMs: worst((f) => f.detectionMs),
    failoverMs: worst((f) => f.failoverMs),
    rtoMs: r.faults.length ? Math.max(...r.faults.map((f) => f.rtoMs)) : null,
  };
}

const toleranceSchema = z.strictObject({ better: z.enum(['higher', 'lower']), abs: z.number().min(0), rel: z.number().min(0) });
const baselineSchema = z.strictObject({
  scenario: z.string(),
  seed: z.number(),
  from: z.string(),
  figures: z.record(z.string(), z.number().nullable()),
  tolerances: z.record(z.string(), toleranceSchema),
});
export type Baseline = z.infer<typeof baselineSchema>;

export function makeBaseline(r: RunReport, from: string): Baseline {
  return { scenario: r.scenario.name, seed: r.seed, from, figures: headlineFigures(r), tolerances: { ...DEFAULT_TOLERANCES } };
}

export function defaultBaselineFile(scenario: string): string {
  return join('reports', 'baselines', `${scenario}.json`);
}

export function writeBaseline(file: string, b: Baseline): void {
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify(b, null, 2) + '\n');
}

export function readBaseline(file: string): Baseline {
  if (!existsSync(file)) throw new HalabError('NOT_FOUND', `baseline ${file} does not exist`, 'write one with `halab baseline <run-dir>`');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HalabError('CONFIG_INVALID', `${file}: not valid JSON: ${(err as Error).message}`);
  }
  return parseWith(baselineSchema, data, file);
}

export interface GateRow {
  readonly metric: string;
  readonly baseline: number | null;
  readonly actual: number | null;
  /** The worst value still accepted. */
  readonly limit: number | null;
  readonly regressed: boolean;
  /** How much worse than the baseline (in the metric's unit), when regressed. */
  readonly by?: number;
}

/** Compares a run's figures with a baseline; a metric the baseline had but the run lacks regresses. */
export function gate(actual: Figures, b: Baseline): { pass: boolean; rows: GateRow[] } {
  const rows = Object.entries(b.figures).map(([metric, base]): GateRow => {
    const tol = b.tolerances[metric] ?? DEFAULT_TOLERANCES[metric] ?? { better: 'lower', abs: 0, rel: 0 };
    const value = actual[metric] ?? null;
    if (base === null) return { metric, baseline: null, actual: value, limit: null, regressed: false };
    const slack = tol.abs + Math.abs(base) * tol.rel;
    const limit = tol.better === 'higher' ? base - slack : base + slack;
    if (value === null) return { metric, baseline: base, actual: null, limit, regressed: true };
    const regressed = tol.better === 'higher' ? value < limit : value > limit;
    return { metric, baseline: base, actual: value, limit, regressed, ...(regressed ? { by: Math.abs(value - base) } : {}) };
  });
  return { pass: rows.every((r) => !r.regressed), rows };
}
