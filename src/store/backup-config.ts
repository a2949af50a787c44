// Where a lab's control plane writes its backups: the topology's controlPlane.backup.url, or
// file://<HALAB_HOME>/backups beside the lab directory (so a restore survives `halab down`).
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Topology } from '../config/topology.js';

export function backupLocation(topology: Topology, labDir: string): string {
  return topology.controlPlane.backup.url ?? pathToFileURL(join(dirname(labDir), 'backups')).href;
}
