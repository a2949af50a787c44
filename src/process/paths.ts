// Where a running lab keeps its files. One lab per HALAB_HOME (default ~/.halab); `halab down`
// removes the whole lab directory, so nothing of a lab outlives it.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileSafeId } from '../core/ids.js';

export interface LabPaths {
  readonly home: string;
  readonly labDir: string;
  readonly stateFile: string;
  readonly lockFile: string;
  readonly eventsDir: string;
  readonly logsDir: string;
  readonly procsDir: string;
}

/** Paths of the lab under `home` (default: $HALAB_HOME or ~/.halab). */
export function labPaths(home = process.env.HALAB_HOME ?? join(homedir(), '.halab')): LabPaths {
  const labDir = join(home, 'lab');
  return {
    home,
    labDir,
    stateFile: join(labDir, 'state.json'),
    lockFile: join(home, 'lab.lock'),
    eventsDir: join(labDir, 'events'),
    logsDir: join(labDir, 'logs'),
    procsDir: join(labDir, 'procs'),
  };
}

/** File a process writes its events to. */
export function eventsFile(labDir: string, processName: string): string {
  return join(labDir, 'events', `${fileSafeId(processName)}.ndjson`);
}

/** File a process writes its logs to. */
export function logFile(labDir: string, processName: string): string {
  return join(labDir, 'logs', `${fileSafeId(processName)}.log`);
}

/** File a process writes when it is listening: {pid, ...addresses}. */
export function readyFile(labDir: string, processName: string): string {
  return join(labDir, 'procs', `${fileSafeId(processName)}.json`);
}

/** Writes a process's ready file atomically (temp file + rename), so readers never see half of it. */
export function writeReadyFile(labDir: string, processName: string, info: Record<string, unknown>): void {
  const file = readyFile(labDir, processName);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(`${file}.tmp`, JSON.stringify({ pid: process.pid, ...info }));
  renameSync(`${file}.tmp`, file);
}

/** The base URL a gateway of the lab announced in its ready file, if it did. */
export function gatewayUrlOf(labDir: string, region: string): string | undefined {
  const file = readyFile(labDir, `gateway/${region}`);
  if (!existsSync(file)) return undefined;
  try {
    const url = (JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown }).url;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

/** Pids of the worker processes a lab process announced in its ready file (none: it serves itself). */
export function workersOf(labDir: string, processName: string): number[] {
  try {
    const info = JSON.parse(readFileSync(readyFile(labDir, processName), 'utf8')) as { workers?: unknown };
    return Array.isArray(info.workers) ? info.workers.filter((w): w is number => Number.isInteger(w)) : [];
  } catch {
    return [];
  }
}
