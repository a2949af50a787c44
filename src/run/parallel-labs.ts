// Independent scenarios in parallel labs (`halab run <suite> --parallel N`): N workers, each with
// its own lab directory (<HALAB_HOME>/parallel-<k>/, so its own lock, state, secret and
// lab-tagged iptables rules), its own loopback addresses (worker k moves every 127.0.x.y of its
// topology to 127.k.x.y) and ephemeral ports. Scenarios are taken longest first, so the long ones
// do not end up last. Worker 0 uses the default lab (HALAB_HOME), as a sequential run does.
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { labPaths, type LabPaths } from '../process/paths.js';

/** Most labs run at once: more only adds contention (each lab is 10–20 processes). */
export const MAX_PARALLEL_LABS = 8;

/** The default number of parallel labs: one per two cores, at least 2 (a lab mostly waits on timers). */
export function defaultParallelLabs(cores = availableParallelism()): number {
  return Math.min(MAX_PARALLEL_LABS, Math.max(2, Math.floor(cores / 2)));
}

/** The lab paths of worker k (0: the default lab). */
export function workerLabPaths(k: number, base: LabPaths = labPaths()): LabPaths {
  return k === 0 ? base : labPaths(join(base.home, `parallel-${k}`));
}

/** Moves a topology document's loopback addresses into worker k's block: 127.0.x.y → 127.k.x.y. */
export function moveAddresses(doc: Record<string, unknown>, k: number): Record<string, unknown> {
  if (k === 0) return doc;
  const move = (h: unknown): unknown => (typeof h === 'string' ? h.replace(/^127\.0\.(\d+)\.(\d+)$/, `127.${k}.$1.$2`) : h);
  const regions = (doc.regions as Record<string, unknown>[] | undefined)?.map((r) => ({ ...r, host: move(r.host) }));
  const cp = (doc.controlPlane ?? {}) as Record<string, unknown>;
  return { ...doc, ...(regions ? { regions } : {}), controlPlane: { ...cp, host: move(cp.host ?? '127.0.0.1') } };
}

/**
 * Runs jobs on `parallel` workers; each job gets its worker's index. Jobs start in the order given
 * (sort longest first before); results come back in the order of `jobs`. A job that throws stops
 * nothing else: its error is its result.
 */
export async function runOnWorkers<J, R>(jobs: readonly J[], parallel: number, run: (job: J, worker: number) => Promise<R>, stop?: AbortSignal): Promise<(R | Error | undefined)[]> {
  const results: (R | Error | undefined)[] = new Array(jobs.length).fill(undefined);
  let next = 0;
  const worker = async (k: number): Promise<void> => {
    while (next < jobs.length && !stop?.aborted) {
      const i = next++;
      try {
        results[i] = await run(jobs[i]!, k);
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, (_, k) => worker(k)));
  return results;
}
