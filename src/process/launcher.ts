// Starts lab components as detached OS processes (so `halab up` can return) with their output in
// the lab's log files, and waits for each to write its ready file.
import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import { recordLaunch } from './owned.js';
import { logFile, readyFile } from './paths.js';

export type Component = 'controlplane' | 'replica' | 'gateway' | 'glb' | 'standin' | 'replica-host';

/** Entry scripts under dist/src/ that are not `<component>/main.js`. */
const ENTRY_OVERRIDES: Partial<Record<Component, string>> = { gateway: 'gateway/regional/main.js', glb: 'gateway/global/main.js', standin: 'replica/standin-main.js', 'replica-host': 'replica/host-main.js' };

/** The project's root: the nearest folder above this module with a package.json. */
export function projectRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new HalabError('INTERNAL', 'cannot find the project root (package.json)');
    dir = up;
  }
  return dir;
}

/** The compiled entry script of a component (tests and the CLI both run the built code). */
export function componentEntry(component: Component): string {
  const entry = join(projectRoot(), 'dist', 'src', ...(ENTRY_OVERRIDES[component] ?? `${component}/main.js`).split('/'));
  if (!existsSync(entry)) throw new HalabError('LAB_START_FAILED', `${entry} is missing`, 'run `npm run build` first');
  return entry;
}

let newestBuiltMs: number | undefined;

/** The newest modification time of any file under dir (once per process: the build does not change under a lab). */
function newestMtimeMs(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true, recursive: true })) {
    if (e.isFile()) newest = Math.max(newest, statSync(join(e.parentPath, e.name)).mtimeMs);
  }
  return newest;
}

/**
 * The script a lab process of `component` runs: its one-file bundle (dist/bundle/, made by
 * scripts/bundle-entries.mjs at the end of `npm run build`; the same code, ~40 % less start-up CPU)
 * when there is one newer than every file of dist/src, else the compiled entry. A stale bundle (tsc
 * run alone after an edit) is never used. HALAB_NO_BUNDLE=1 forces the compiled entry.
 */
export function launchEntry(component: Component): string {
  const entry = componentEntry(component);
  if (process.env.HALAB_NO_BUNDLE === '1') return entry;
  const rel = (ENTRY_OVERRIDES[component] ?? `${component}/main.js`).split('/');
  const bundle = join(projectRoot(), 'dist', 'bundle', ...rel);
  try {
    newestBuiltMs ??= newestMtimeMs(join(projectRoot(), 'dist', 'src'));
    return statSync(bundle).mtimeMs >= newestBuiltMs ? bundle : entry;
  } catch {
    return entry;
  }
}

export interface Launched {
  readonly name: string;
  readonly pid: number;
  readonly ready: Record<string, unknown>;
}

export function isAlive(pid: number): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  // A killed process whose parent has not reaped it yet (a zombie) still answers signal 0.
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true;
  }
}

/**
 * Spawns `component` detached with `args` (which must include --lab-dir), records it in the lab's
 * launch ledger (pid and start time), and returns its pid at once.
 */
export function spawnComponent(component: Component, name: string, args: readonly string[], labDir: string): number {
  const log = logFile(labDir, name);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  try {
    const child = spawn(process.execPath, [launchEntry(component), ...args], {
      detached: true,
      stdio: ['ignore', fd, fd],
      env: { ...process.env, HALAB_COMPONENT: name },
    });
    child.unref();
    if (!child.pid) throw new HalabError('LAB_START_FAILED', `could not start ${name}`);
    recordLaunch(labDir, name, child.pid);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Waits for a process's ready file; fails early if the process died, with its log's tail. */
export async function waitReady(labDir: string, name: string, pid: number, clock: Clock, timeoutMs: number): Promise<Launched> {
  const file = readyFile(labDir, name);
  const deadline = clock.monoMs() + timeoutMs;
  while (clock.monoMs() < deadline) {
    if (existsSync(file)) {
      const ready = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (ready.pid === pid) return { name, pid, ready };
    }
    if (!isAlive(pid)) throw new HalabError('LAB_START_FAILED', `${name} exited during start-up:\n${logTail(labDir, name)}`);
    await clock.sleep(25);
  }
  throw new HalabError('LAB_START_FAILED', `${name} did not become ready within ${timeoutMs}ms:\n${logTail(labDir, name)}`);
}

export function logTail(labDir: string, name: string, lines = 12): string {
  try {
    return readFileSync(logFile(labDir, name), 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}
