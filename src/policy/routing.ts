// Routing choice, pure: least outstanding requests among the replicas a request may use, ties
// broken round-robin so equal replicas share load evenly.

export interface RouteCandidate {
  readonly replicaId: string;
  readonly modelVersion: string;
}

export interface RouteState {
  /** Requests in flight per replica (as seen by this gateway). */
  readonly outstanding: ReadonlyMap<string, number>;
  /** Increases on every pick; used to rotate among ties. */
  readonly turn: number;
}

/**
 * Picks a replica, or undefined when none is allowed. `exclude` holds replicas this request already
 * failed on; `version`, when set, pins the choice to replicas of that model version (a resumed
 * stream must continue on the same model).
 */
export function pickReplica<T extends RouteCandidate>(
  candidates: readonly T[],
  state: RouteState,
  exclude: ReadonlySet<string>,
  version?: string,
): T | undefined {
  // an external endpoint's version is unknown (''): it is not excluded by a version pin
  const allowed = candidates.filter((c) => !exclude.has(c.replicaId) && (version === undefined || c.modelVersion === version || c.modelVersion === ''));
  if (allowed.length === 0) return undefined;
  let best = Infinity;
  const ties: T[] = [];
  for (const c of allowed) {
    const load = state.outstanding.get(c.replicaId) ?? 0;
    if (load < best) {
      best = load;
      ties.length = 0;
    }
    if (load === best) ties.push(c);
  }
  return ties[state.turn % ties.length];
}
