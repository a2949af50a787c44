// Whether a failed attempt at a region (or replica) is evidence that it is down — eject it — or only
// that it is overloaded, pure. An overloaded region is not a dead one: ejecting it for its 429s or
// for first tokens late behind its queue moves its whole load onto the others (a cascade) and
// empties it while it could still serve. A 429 and a 503 before any token (no replica for it right
// now) never eject; a first-token timeout ejects only when the same route delivered nothing — no
// first token, no finished answer — for `progressWindowMs`: a route that is still answering
// others is slow, not dead. Connection errors, resets, stalls and cut streams always eject.

export interface AttemptFailure {
  readonly failure: string;
  readonly status?: number;
}

/**
 * `progressAgoMs`: how long ago the route last delivered a first token or a finished answer
 * (undefined: never).
 */
export function ejectsOnFailure(f: AttemptFailure, progressAgoMs: number | undefined, progressWindowMs: number): boolean {
  if (f.failure === 'overload') return false;
  if (f.failure === 'status' && (f.status === 503 || f.status === 429)) return false;
  if (f.failure === 'timeout') return progressAgoMs === undefined || progressAgoMs > progressWindowMs;
  return true;
}
