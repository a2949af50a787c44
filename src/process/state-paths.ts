// Where a lab's durable state lives on disk: the control plane's embedded log, and each region's
// stored completions (what region.state-loss wipes).
import { join } from 'node:path';

export function controlPlaneStateFile(labDir: string): string {
  return join(labDir, 'state', 'controlplane.log');
}

export function regionStateDir(labDir: string, region: string): string {
  return join(labDir, 'state', 'regions', region);
}

export function completionsStoreFile(labDir: string, region: string): string {
  return join(regionStateDir(labDir, region), 'completions.log');
}
