// Active faults of the running lab, kept in the lab directory so that `halab heal` (another
// process than the one that injected) can undo them. Each fault carries its undo steps.
import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { UndoStep } from './injectors/undo.js';

export interface ActiveFault {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  /** Replicas the fault affects (for measurement). */
  readonly replicas: readonly string[];
  readonly injectedAtMs: number;
  /** Heal time requested with `--for`, if any. */
  readonly healAtMs?: number;
  readonly undo: readonly UndoStep[];
  /** What the inject command printed (external services). */
  readonly output?: string;
}

function storeFile(labDir: string): string {
  return join(labDir, 'faults.json');
}

export function readFaults(labDir: string): ActiveFault[] {
  const file = storeFile(labDir);
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as ActiveFault[]) : [];
}

export function writeFaults(labDir: string, faults: readonly ActiveFault[]): void {
  const file = storeFile(labDir);
  writeFileSync(`${file}.tmp`, JSON.stringify(faults, null, 2));
  renameSync(`${file}.tmp`, file);
}
