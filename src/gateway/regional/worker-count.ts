// How many worker processes an edge process runs when its topology does not say.
import { availableParallelism } from 'node:os';

/** One per four cores, at least 1, at most 8: 1 on 2 cores (the lab's other processes need the rest). */
export function defaultWorkerCount(cores = availableParallelism()): number {
  return Math.max(1, Math.min(8, Math.floor(cores / 4)));
}
