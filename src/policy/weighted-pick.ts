// Traffic weights for deployments (canary share, blue-green steps), pure: smooth weighted
// round-robin (nginx's) over the replicas a new request may use, so each gets exactly its share
// of picks in order, not just on average. Weight 0 takes no new request (it still finishes and
// resumes streams of its version). When every weight is 1 the gateway's usual least-outstanding
// choice applies instead.

export interface Weighted {
  readonly replicaId: string;
  readonly weight?: number;
}

/** Whether any candidate has a weight other than 1 (a deployment is shifting traffic). */
export function weightsActive(candidates: readonly Weighted[]): boolean {
  return candidates.some((c) => (c.weight ?? 1) !== 1);
}

/**
 * Picks among candidates with weight > 0 not in `exclude`; `current` holds each replica's running
 * score between calls (updated in place). Undefined when no candidate has a positive weight.
 */
export function pickWeighted<T extends Weighted>(candidates: readonly T[], current: Map<string, number>, exclude: ReadonlySet<string>): T | undefined {
  const allowed = candidates.filter((c) => !exclude.has(c.replicaId) && (c.weight ?? 1) > 0);
  if (allowed.length === 0) return undefined;
  let total = 0;
  let best: T | undefined;
  let bestScore = -Infinity;
  for (const c of allowed) {
    const w = c.weight ?? 1;
    total += w;
    const score = (current.get(c.replicaId) ?? 0) + w;
    current.set(c.replicaId, score);
    if (score > bestScore) {
      bestScore = score;
      best = c;
    }
  }
  current.set(best!.replicaId, bestScore - total);
  return best;
}
