// Restores a lab's control plane from a backup: the snapshot is read and verified first (a
// truncated or corrupted one is refused and nothing is touched); then every control-plane
// instance is stopped, its state store emptied and filled with the snapshot, and the instances
// are started again on their addresses. They adopt the replicas recorded in the snapshot (probing
// them at once) and the replicas re-register. Done when the leader reports every live replica
// healthy; the `controlplane.restored` event carries the time it took.
import { rmSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { fileEventSink } from '../record/events.js';
import type { Topology } from '../config/topology.js';
import { loadTopology } from '../config/topology.js';
import { backupLocation } from '../store/backup-config.js';
import { loadSnapshotInto, readBackup } from '../store/backup.js';
import { EV } from '../record/event-types.js';
import { openObjectStore, type ObjectStore } from '../store/object-store.js';
import { openStateStore, type StateStore } from '../store/state-store.js';
import { waitForStatus } from './cp-client.js';
import { restartProcess } from './lab.js';
import { requireLabState, type LabState } from '../process/lab-state.js';
import { isAlive } from '../process/launcher.js';
import { eventsFile, type LabPaths } from '../process/paths.js';
import { killNow } from '../process/reaper.js';
import { controlPlaneStateFile } from '../process/state-paths.js';

export interface RestoreOptions {
  /** Snapshot name (default: the newest). */
  readonly from?: string;
  /** Object store URL (default: the topology's backup location). */
  readonly storeUrl?: string;
  readonly timeoutMs?: number;
}

export interface RestoreResult {
  readonly snapshot: string;
  readonly url: string;
  readonly keys: number;
  readonly createdAtMs: number;
  /** Restore started → restored control plane reports every live replica healthy. */
  readonly restoreMs: number;
}

export function labObjectStore(paths: LabPaths, topology: Topology, storeUrl?: string): ObjectStore {
  const endpoint = topology.controlPlane.backup.endpoint;
  return openObjectStore(storeUrl ?? backupLocation(topology, paths.labDir), endpoint ? { endpoint } : {});
}

async function openLabStore(paths: LabPaths, topology: Topology, state: LabState): Promise<StateStore> {
  return openStateStore(topology.controlPlane.store === 'etcd' ? { kind: 'etcd', endpoints: [state.etcd ?? ''] } : { kind: 'embedded', file: controlPlaneStateFile(paths.labDir) });
}

/** Empties the control plane's state (embedded log removed; etcd keys deleted, elections kept). */
export async function wipeControlPlaneState(paths: LabPaths, topology: Topology, state: LabState): Promise<void> {
  if (topology.controlPlane.store === 'embedded') {
    rmSync(controlPlaneStateFile(paths.labDir), { force: true });
    return;
  }
  const store = await openLabStore(paths, topology, state);
  try {
    for (const key of (await store.list('')).keys()) if (!key.startsWith('election/')) await store.delete(key);
  } finally {
    await store.close();
  }
}

export async function restoreControlPlane(paths: LabPaths, clock: Clock, opts: RestoreOptions): Promise<RestoreResult> {
  const startedAtMs = clock.nowMs();
  const started = clock.monoMs();
  const state = requireLabState(paths);
  const topology = loadTopology(state.topologyFile);
  const events = fileEventSink(eventsFile(paths.labDir, 'restore'), 'restore', clock);
  const objects = labObjectStore(paths, topology, opts.storeUrl);
  // Verify before touching anything: a bad snapshot throws BACKUP_CORRUPT here.
  const { name, snapshot } = await readBackup(objects, opts.from).catch((err: Error) => {
    events.emit(EV.restoreFailed, opts.from ?? 'latest', err.message);
    throw err;
  });
  const cps = state.processes.filter((p) => p.kind === 'controlplane');
  for (const p of cps) killNow(p.pid);
  const deadline = clock.monoMs() + 3000;
  while (cps.some((p) => isAlive(p.pid)) && clock.monoMs() < deadline) await clock.sleep(10);
  if (topology.controlPlane.store === 'embedded') rmSync(controlPlaneStateFile(paths.labDir), { force: true });
  const store = await openLabStore(paths, topology, state);
  try {
    await loadSnapshotInto(store, snapshot);
    // Every instance is stopped: the election keys of their leases only delay the fresh leader.
    await store.deletePrefix('election/');
  } finally {
    await store.close();
  }
  for (const p of cps) await restartProcess(paths, p.name, clock);
  const liveReplicas = new Set(state.processes.filter((p) => p.kind === 'replica' && isAlive(p.pid)).map((p) => p.subject));
  await waitForStatus(
    state.controlPlane!,
    clock,
    opts.timeoutMs ?? 60_000,
    (s) => s.replicas.filter((r) => liveReplicas.has(r.replicaId)).every((r) => r.healthy && r.connected),
    (s) => `restored control plane ${s.instance}: ${s.replicas.filter((r) => r.healthy).length}/${liveReplicas.size} live replicas healthy`,
  );
  const restoreMs = Math.round(clock.monoMs() - started);
  events.emit(EV.restored, name, undefined, { snapshot: name, url: objects.urlOf(name), keys: snapshot.data.size, createdAtMs: snapshot.header.createdAtMs, restoreMs, startedAtMs });
  return { snapshot: name, url: objects.urlOf(name), keys: snapshot.data.size, createdAtMs: snapshot.header.createdAtMs, restoreMs };
}
