// In-flight request counts per upstream (a replica, or a region for the global load balancer),
// the input of least-outstanding routing.

/** Counts one more request on `key` in `counts`; the returned release is idempotent. */
export function acquireOutstanding(counts: Map<string, number>, key: string): () => void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    counts.set(key, Math.max(0, (counts.get(key) ?? 1) - 1));
  };
}
