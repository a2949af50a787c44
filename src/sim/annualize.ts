// Annualizing live runs: the measured impact of each fault kind (error-seconds, failed requests,
// RTO) from real `halab run` reports, times how often that fault happens in a year, gives the
// expected downtime per year and the nines — per fault kind and in total.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { HalabError } from '../core/errors.js';
import { faultKindNames } from '../config/fault-kinds.js';
import { parseWith } from '../config/schema-errors.js';
import { readYamlFile } from '../config/yaml-file.js';
import { gpuFailuresPerYear, type FailureModel } from './failure-model.js';
import type { SimTopology } from './simulator.js';
import { MINUTES_PER_YEAR, nines } from './conversions.js';

export interface MeasuredFault {
  readonly kind: string;
  readonly errorSeconds: number;
  readonly failedRequests: number;
  readonly truncatedRequests: number;
  readonly rtoMs: number;
}

/** Reads the per-fault figures of one or more run directories (their report.json). */
export function readImpacts(dirs: readonly string[]): MeasuredFault[] {
  return dirs.flatMap((dir) => {
    const file = join(dir, 'report.json');
    if (!existsSync(file)) throw new HalabError('NOT_FOUND', `${file} is missing: pass run directories written by \`halab run\``);
    const report = JSON.parse(readFileSync(file, 'utf8')) as { faults?: MeasuredFault[] };
    return (report.faults ?? []).map((f) => ({ kind: f.kind, errorSeconds: f.errorSeconds ?? 0, failedRequests: f.failedRequests ?? 0, truncatedRequests: f.truncatedRequests ?? 0, rtoMs: f.rtoMs ?? 0 }));
  });
}

/**
 * Fleet-wide yearly rates of each fault kind under a failure model. Replica-level kinds scale with
 * the replicas that serve (primary clusters); the kinds the failure model does not name get
 * conservative defaults, and every one can be overridden with --rates.
 */
export function defaultFaultRates(t: SimTopology, fm: FailureModel): Record<string, number> {
  const serving = t.clusters.filter((c) => c.role === 'primary').reduce((s, c) => s + c.gpus, 0);
  const regions = t.regions.length;
  return {
    'replica.crash': fm.replicaSoftware.perYear * serving,
    'gpu.xid': gpuFailuresPerYear(fm) * serving,
    'replica.hang': 1 * serving,
    'replica.slow': 1 * serving,
    'replica.stream-cut': 1 * serving,
    'replica.error-rate': 1 * serving,
    'gpu.thermal': 2 * serving,
    'model.corrupt': 0.2 * serving,
    'cluster.outage': fm.cluster.perYear * t.clusters.length,
    'cluster.degrade': fm.cluster.perYear * t.clusters.length,
    'region.outage': fm.region.perYear * regions,
    'region.partition': fm.region.perYear * regions,
    'gateway.crash': 4 * regions,
    'link.latency': 4 * regions,
    'link.partition': 1 * regions,
    // misbehaving external endpoints (per serving endpoint); conservative guesses, override with --rates
    'upstream.rate-limit': 12 * serving,
    'upstream.reset': 4 * serving,
    'upstream.stall': 2 * serving,
    'upstream.malformed': 1 * serving,
    'upstream.no-done': 1 * serving,
    // control-plane host failures (a few a year), full control-plane loss (rare), region state loss
    'controlplane.kill-leader': 4,
    'controlplane.disaster': 0.2,
    'region.state-loss': 0.1 * regions,
    // client-side faults (fleet-wide): traffic surges, poison floods, retry and disconnect storms
    'load.surge': 12,
    'load.poison': 12,
    'load.retry-storm': 4,
    'load.disconnect-storm': 12,
    'load.slow-reader': 12,
  };
}

const ratesSchema = z.record(
  z.string().refine((k) => faultKindNames().includes(k), { error: (i) => `unknown fault kind "${String(i.input)}"; known: ${faultKindNames().join(', ')}` }),
  z.number().min(0, 'a rate cannot be negative'),
);

export function loadRates(file: string): Record<string, number> {
  const data = readYamlFile(file, 'rates file');
  return parseWith(ratesSchema, data, file);
}

export interface KindImpact {
  readonly kind: string;
  readonly occurrencesMeasured: number;
  readonly errorSecondsPerOccurrence: number;
  readonly failedRequestsPerOccurrence: number;
  readonly rtoMsPerOccurrence: number;
  readonly perYear: number;
  readonly downtimeMinutesPerYear: number;
}

export interface AnnualizedImpact {
  readonly kinds: readonly KindImpact[];
  readonly downtimeMinutesPerYear: number;
  readonly availability: number;
  readonly nines: number;
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((s, x) => s + x, 0) / xs.length : 0);

/** Expected yearly downtime: for each measured kind, its yearly rate × mean error-seconds per occurrence. */
export function annualize(measured: readonly MeasuredFault[], rates: Readonly<Record<string, number>>): AnnualizedImpact {
  const kinds = [...new Set(measured.map((m) => m.kind))].sort();
  const rows = kinds.map((kind) => {
    const of = measured.filter((m) => m.kind === kind);
    const perYear = rates[kind];
    if (perYear === undefined) throw new HalabError('USAGE', `no yearly rate for fault kind "${kind}"; give one with --rates`);
    const errorSeconds = mean(of.map((m) => m.errorSeconds));
    return {
      kind,
      occurrencesMeasured: of.length,
      errorSecondsPerOccurrence: errorSeconds,
      failedRequestsPerOccurrence: mean(of.map((m) => m.failedRequests + m.truncatedRequests)),
      rtoMsPerOccurrence: mean(of.map((m) => m.rtoMs)),
      perYear,
      downtimeMinutesPerYear: (perYear * errorSeconds) / 60,
    };
  });
  const downtime = rows.reduce((s, r) => s + r.downtimeMinutesPerYear, 0);
  const availability = 1 - downtime / MINUTES_PER_YEAR;
  return { kinds: rows, downtimeMinutesPerYear: downtime, availability, nines: nines(availability) };
}
