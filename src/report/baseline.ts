// Baselines: what a scenario's runs looked like on the reference machine, kept as distributions
// rather than points — a capped seeded sample of per-request TTFTs and each run's TTFT quantiles,
// every run's bad-outcome counts with their exposure, and every run's single-valued figures (so
// the gate can derive a tolerance from their spread). Small: a few kB per scenario.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { HalabError } from '../core/errors.js';
import { createRng } from '../core/rng.js';
import { percentiles } from '../core/stats.js';
import { parseWith } from '../config/schema-errors.js';
import { COUNT_METRICS, type RunObservation } from './gate-observe.js';

export const BASELINE_FORMAT = 2;
/** Most per-request TTFTs a baseline keeps (a seeded sample of all its runs' requests). */
export const TTFT_SAMPLE_MAX = 1000;

const countSchema = z.strictObject({ counts: z.array(z.number().int().min(0)), exposures: z.array(z.number().int().min(0)) });
const baselineSchema = z.strictObject({
  format: z.literal(BASELINE_FORMAT),
  scenario: z.string().min(1),
  seed: z.number().int(),
  runs: z.number().int().min(1),
  from: z.array(z.string()),
  ttftMs: z.strictObject({
    sample: z.array(z.number()),
    perRun: z.array(z.strictObject({ count: z.number().int(), p50: z.number().nullable(), p90: z.number().nullable(), p99: z.number().nullable() })),
  }),
  counts: z.partialRecord(z.enum(COUNT_METRICS), countSchema),
  figures: z.record(z.string(), z.array(z.number().nullable())),
  /** Lab time scale of the runs (`--time-scale`; absent: 1): the gate compares only runs of this scale. */
  timeScale: z.number().gt(0).max(1).optional(),
});
export type Baseline = z.infer<typeof baselineSchema>;

/** A baseline from observed runs of one scenario (in run order); the TTFT sample is drawn with `seed`. */
export function makeBaseline(runs: readonly RunObservation[], from: readonly string[]): Baseline {
  const first = runs[0];
  if (!first) throw new HalabError('USAGE', 'a baseline needs at least one run');
  const other = runs.find((r) => r.scenario !== first.scenario);
  if (other) throw new HalabError('USAGE', `a baseline is of one scenario: got runs of "${first.scenario}" and "${other.scenario}"`);
  const scale = first.timeScale ?? 1;
  const otherScale = runs.find((r) => (r.timeScale ?? 1) !== scale);
  if (otherScale) throw new HalabError('USAGE', `a baseline is of one time scale: got runs at ${scale} and ${otherScale.timeScale ?? 1}`);
  const pooled = runs.flatMap((r) => r.ttftMs);
  const rng = createRng(`baseline:${first.scenario}:${first.seed}`);
  for (let i = pooled.length - 1; i > 0; i--) {
    const j = rng.int(0, i);
    [pooled[i], pooled[j]] = [pooled[j]!, pooled[i]!];
  }
  const sample = pooled.slice(0, TTFT_SAMPLE_MAX).map((x) => Math.round(x * 10) / 10).sort((a, b) => a - b);
  const counts: Baseline['counts'] = {};
  for (const metric of COUNT_METRICS) {
    if (runs.every((r) => r.counts[metric] === undefined)) continue;
    counts[metric] = { counts: runs.map((r) => r.counts[metric]?.count ?? 0), exposures: runs.map((r) => r.counts[metric]?.exposure ?? 0) };
  }
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.figures)))].sort();
  return {
    format: BASELINE_FORMAT,
    scenario: first.scenario,
    seed: first.seed,
    runs: runs.length,
    from: [...from],
    ttftMs: {
      sample,
      perRun: runs.map((r) => {
        const p = percentiles(r.ttftMs);
        return { count: p.count, p50: p.p50, p90: p.p90, p99: p.p99 };
      }),
    },
    counts,
    figures: Object.fromEntries(names.map((n) => [n, runs.map((r) => r.figures[n] ?? null)])),
    ...(scale !== 1 ? { timeScale: scale } : {}),
  };
}

export function defaultBaselineFile(scenario: string): string {
  return join('reports', 'baselines', `${scenario}.json`);
}

/** Writes a baseline with one run's values per line, so diffs stay readable. */
export function writeBaseline(file: string, b: Baseline): void {
  mkdirSync(dirname(file), { recursive: true });
  const text = JSON.stringify(b, (key, value: unknown) => (key === 'sample' && Array.isArray(value) ? JSON.stringify(value) : value), 2).replace(/"sample": "(\[[^"]*\])"/, '"sample": $1');
  writeFileSync(file, text + '\n');
}

export function readBaseline(file: string): Baseline {
  if (!existsSync(file)) throw new HalabError('NOT_FOUND', `baseline ${file} does not exist`, 'write one with `halab baseline <scenario.yaml> --runs 5` (or from run directories: `halab baseline <run-dir>...`)');
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new HalabError('CONFIG_INVALID', `${file}: not valid JSON: ${(err as Error).message}`);
  }
  if (data && typeof data === 'object' && !('format' in data) && 'tolerances' in data) {
    throw new HalabError('CONFIG_INVALID', `${file}: a baseline of the old format (one point per metric, fixed tolerances)`, 'regenerate it: `halab baseline <scenario.yaml> --runs 5`');
  }
  return parseWith(baselineSchema, data, file);
}
