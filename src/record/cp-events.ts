// Event types of the state, HA and backup parts of the control plane (source controlplane[/N]),
// of stored-completion replication (source gateway/<region>) and of restores (source restore).
export const CP_EV = {
  /** An instance became leader; data {address, term, store, adoptedReplicas, takeoverMs}. */
  leaderElected: 'controlplane.leader-elected',
  /** An instance lost its lease or could not campaign, and stopped. */
  leaderLost: 'controlplane.leader-lost',
  stateWriteFailed: 'state.write-failed',
  /** A snapshot was written; subject = name; data {url, keys, bytes, sha256, pruned}. */
  backupTaken: 'backup.taken',
  backupFailed: 'backup.failed',
  /** A restored control plane serves again; data {snapshot, restoreMs, startedAtMs}. */
  restored: 'controlplane.restored',
  restoreFailed: 'controlplane.restore-failed',
  /** Stored-completion replication to the peer region failed (batch kept, retried). */
  replicationFailed: 'replication.failed',
  replicationRecovered: 'replication.recovered',
} as const;
