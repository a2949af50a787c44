// Names of things in a topology: replicas are `<region>/<cluster>/<index>`, clusters
// `<region>/<cluster>`, regions `<region>`. Fault targets use the same forms.

export type TargetRef =
  | { readonly kind: 'replica'; readonly id: string; readonly region: string; readonly cluster: string; readonly index: number }
  | { readonly kind: 'cluster'; readonly id: string; readonly region: string; readonly cluster: string }
  | { readonly kind: 'region'; readonly id: string; readonly region: string };

export function replicaId(region: string, cluster: string, index: number): string {
  return `${region}/${cluster}/${index}`;
}

export function clusterId(region: string, cluster: string): string {
  return `${region}/${cluster}`;
}

/** Parses a target id into its kind by the number of parts; undefined when malformed. */
export function parseTarget(id: string): TargetRef | undefined {
  const parts = id.split('/');
  if (parts.some((p) => p.length === 0)) return undefined;
  if (parts.length === 1) return { kind: 'region', id, region: parts[0]! };
  if (parts.length === 2) return { kind: 'cluster', id, region: parts[0]!, cluster: parts[1]! };
  if (parts.length === 3 && /^\d+$/.test(parts[2]!)) {
    return { kind: 'replica', id, region: parts[0]!, cluster: parts[1]!, index: Number(parts[2]) };
  }
  return undefined;
}

/** Safe file-name form of an id (slashes become dots). */
export function fileSafeId(id: string): string {
  return id.replace(/[^A-Za-z0-9_.-]/g, '.');
}
