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
  // an external endpoint's version is unknown (''): it is not excluded by a version pin. Two passes
  // over the candidates instead of filtered and tie arrays: the gateway picks on every request.
  const allowed = (c: T): boolean => !exclude.has(c.replicaId) && (version === undefined || c.modelVersion === version || c.modelVersion === '');
  let best = Infinity;
  let ties = 0;
  for (const c of candidates) {
    if (!allowed(c)) continue;
    const load = state.outstanding.get(c.replicaId) ?? 0;
    if (load < best) {
      best = load;
      ties = 0;
    }
    if (load === best) ties += 1;
  }
  if (ties === 0) return undefined;
  let k = state.turn % ties;
  for (const c of candidates) {
    if (!allowed(c) || (state.outstanding.get(c.replicaId) ?? 0) !== best) continue;
    if (k-- === 0) return c;
  }
  return undefined;
}
