// Capacity planning: search topologies (regions, GPUs per primary cluster, backup clusters) for
// the cheapest — fewest GPUs — that meets an availability target under a failure model. Candidates
// are ranked analytically; the cheapest that pass are confirmed with the simulator.
import { HalabError } from '../core/errors.js';
import type { FailureModel } from './failure-model.js';
import { analyticalAvailability, gpuCount } from './model.js';
import { simulate, type SimTopology } from './simulator.js';

export interface PlanOptions {
  readonly target: number;
  readonly failureModel: FailureModel;
  /** GPUs a region needs to carry the whole load (a cluster with fewer healthy ones counts as down). */
  readonly capacityGpus: number;
  readonly maxRegions: number;
  readonly maxGpusPerCluster: number;
  readonly maxBackups: number;
  readonly maxGpus: number;
  readonly simYears: number;
  readonly seed: number;
}

export interface PlanCandidate {
  readonly regions: number;
  readonly gpusPerPrimary: number;
  readonly backups: number;
  readonly gpusPerBackup: number;
  readonly gpus: number;
  readonly analytical: number;
  readonly simulated?: { readonly mean: number; readonly ci99: readonly [number, number]; readonly years: number };
}

export interface Plan {
  readonly target: number;
  readonly best?: PlanCandidate;
  /** Candidates checked by simulation, cheapest first. */
  readonly confirmed: readonly PlanCandidate[];
  readonly searched: number;
}

export function candidateTopology(regions: number, gpusPerPrimary: number, backups: number, gpusPerBackup: number, capacityGpus: number): SimTopology {
  const names = Array.from({ length: regions }, (_, i) => `region-${i + 1}`);
  return {
    regions: names,
    clusters: names.flatMap((r) => [
      { id: `${r}/primary`, region: r, role: 'primary' as const, gpus: gpusPerPrimary, minHealthyFraction: Math.max(0.5, capacityGpus / gpusPerPrimary) },
      ...Array.from({ length: backups }, (_, b) => ({ id: `${r}/backup-${b + 1}`, region: r, role: 'backup' as const, gpus: gpusPerBackup, minHealthyFraction: Math.max(0.5, capacityGpus / gpusPerBackup) })),
    ]),
  };
}

export function plan(opts: PlanOptions): Plan {
  if (!(opts.target > 0 && opts.target < 1)) {
    throw new HalabError('USAGE', `target must be above 0 and below 1 (e.g. 0.9999), got ${opts.target}: no finite fleet is 100% available`);
  }
  if (!Number.isInteger(opts.capacityGpus) || opts.capacityGpus < 1) throw new HalabError('USAGE', `--capacity must be a positive integer, got ${opts.capacityGpus}`);
  const candidates: PlanCandidate[] = [];
  for (let regions = 1; regions <= opts.maxRegions; regions++) {
    for (let g = opts.capacityGpus; g <= opts.maxGpusPerCluster; g++) {
      for (let backups = 0; backups <= opts.maxBackups; backups++) {
        const gb = Math.max(opts.capacityGpus, Math.ceil(g / 2));
        const topology = candidateTopology(regions, g, backups, gb, opts.capacityGpus);
        const gpus = gpuCount(topology);
        if (gpus > opts.maxGpus) continue;
        candidates.push({ regions, gpusPerPrimary: g, backups, gpusPerBackup: backups ? gb : 0, gpus, analytical: analyticalAvailability(topology, opts.failureModel).availability });
      }
    }
  }
  candidates.sort((a, b) => a.gpus - b.gpus || b.analytical - a.analytical || a.regions - b.regions);
  const passing = candidates.filter((c) => c.analytical >= opts.target);
  const confirmed: PlanCandidate[] = [];
  for (const c of passing.slice(0, 6)) {
    const topology = candidateTopology(c.regions, c.gpusPerPrimary, c.backups, c.gpusPerBackup || 1, opts.capacityGpus);
    const { summary } = simulate({ topology, failureModel: opts.failureModel }, opts.simYears, opts.seed);
    const checked = { ...c, simulated: { mean: summary.availability.mean, ci99: summary.availability.ci99, years: opts.simYears } };
    confirmed.push(checked);
    if (summary.availability.mean >= opts.target) return { target: opts.target, best: checked, confirmed, searched: candidates.length };
  }
  return { target: opts.target, confirmed, searched: candidates.length };
}
