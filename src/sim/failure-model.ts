// Failure model: how often each part of the service fails and how long it takes to repair. The
// defaults start from the seed (a GPU is 99.5% available) and add what the seed leaves out; each
// figure can be overridden in a topology's `failureModel` block or a --failure-model file.
import { z } from 'zod';
import { parseWith } from '../config/schema-errors.js';
import { readYamlFile } from '../config/yaml-file.js';
import { HOURS_PER_YEAR } from './conversions.js';

const repair = z.strictObject({
  distribution: z.enum(['exponential', 'lognormal', 'fixed']).default('exponential'),
  /** Spread of the lognormal (sigma of the underlying normal). */
  sigma: z.number().positive().max(3).default(1),
});

const process_ = (perYear: number, mttrHours: number) =>
  z
    .strictObject({
      perYear: z.number().min(0, 'a rate cannot be negative').max(100_000),
      mttrHours: z.number().gt(0, 'MTTR must be positive').max(10_000),
      repair: repair.default({ distribution: 'exponential', sigma: 1 }),
    })
    .default({ perYear, mttrHours, repair: { distribution: 'exponential', sigma: 1 } });

export const failureModelSchema = z.strictObject({
  /** GPU hardware: the seed's 99.5% with a 4 h swap-or-reset gives ~11 failures a year. */
  gpu: z
    .strictObject({
      availability: z.number().gt(0).lt(1, 'availability must be below 1 (a GPU that never fails needs no model)'),
      mttrHours: z.number().gt(0).max(10_000),
      repair: repair.default({ distribution: 'exponential', sigma: 1 }),
    })
    .default({ availability: 0.995, mttrHours: 4, repair: { distribution: 'exponential', sigma: 1 } }),
  /** Replica software (engine crash, OOM): monthly, back after a restart and model load (~2 min). */
  replicaSoftware: process_(12, 2 / 60),
  /** Cluster common mode (a ToR switch, a bad driver rollout): twice a year, 2 h. */
  cluster: process_(2, 2),
  /** Region events (power, network partition): once every two years, 4 h. */
  region: process_(0.5, 4),
  /** Bad deploys that reach traffic: a canary share until detected and rolled back. */
  badDeploy: z
    .strictObject({
      perYear: z.number().min(0).max(10_000),
      trafficShare: z.number().min(0).max(1),
      detectMinutes: z.number().min(0).max(10_000),
    })
    .default({ perYear: 2, trafficShare: 0.05, detectMinutes: 5 }),
});

export type FailureModel = z.infer<typeof failureModelSchema>;

export const DEFAULT_FAILURE_MODEL: FailureModel = Object.freeze(failureModelSchema.parse({}));

/** GPU failures per year implied by its availability and MTTR. */
export function gpuFailuresPerYear(m: FailureModel): number {
  const downHoursPerYear = (1 - m.gpu.availability) * HOURS_PER_YEAR;
  return downHoursPerYear / m.gpu.mttrHours / m.gpu.availability;
}

export function parseFailureModel(data: unknown, file: string): FailureModel {
  return parseWith(failureModelSchema, data ?? {}, file);
}

/** Reads a failure model from YAML/JSON; a topology file's `failureModel` block is used when present. */
export function loadFailureModel(file: string): FailureModel {
  const data = readYamlFile(file, 'failure model');
  const block = data && typeof data === 'object' && 'regions' in data ? (data as { failureModel?: unknown }).failureModel : data;
  return parseFailureModel(block, file);
}
