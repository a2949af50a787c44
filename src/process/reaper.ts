// Stops lab processes: SIGTERM, a grace period, then SIGKILL; and finds leftovers of a lab by the
// `--lab-dir <dir>` in their command line, so nothing survives `halab down` even after a crash.
import { readdirSync, readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { isAlive } from './launcher.js';

/** Pids of live processes whose command line names this lab directory. */
export function findLabProcesses(labDir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      const i = args.indexOf('--lab-dir');
      // Lab components take --lab-dir; helpers such as toxiproxy-server name a file inside it.
      if ((i >= 0 && args[i + 1] === labDir) || args.some((a) => a.startsWith(`${labDir}/`))) pids.push(Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // already gone
  }
}

/** Terminates the given pids: SIGTERM, wait up to graceMs, then SIGKILL what is left. */
export async function terminate(pids: readonly number[], clock: Clock, graceMs = 3000): Promise<void> {
  const live = pids.filter(isAlive);
  for (const pid of live) signal(pid, 'SIGTERM');
  const deadline = clock.monoMs() + graceMs;
  while (live.some(isAlive) && clock.monoMs() < deadline) await clock.sleep(25);
  for (const pid of live.filter(isAlive)) signal(pid, 'SIGKILL');
  const killDeadline = clock.monoMs() + 2000;
  while (live.some(isAlive) && clock.monoMs() < killDeadline) await clock.sleep(10);
}

/** Kills a process at once (the crash fault). */
export function killNow(pid: number): void {
  signal(pid, 'SIGKILL');
}
