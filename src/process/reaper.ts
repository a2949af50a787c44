// Stops lab processes: SIGTERM, a grace period, then SIGKILL. `terminateOwned` signals a process
// only while its pid and start time still match what the lab recorded, so a pid the kernel has
// given to someone else is never signalled.
import { readdirSync, readFileSync } from 'node:fs';
import type { Clock } from '../core/clock.js';
import { isAlive } from './launcher.js';
import { isOwnedAlive, type ProcessRef } from './owned.js';

/**
 * Pids of live processes whose command line names this lab directory. A diagnostic (tests use it
 * to check nothing of a lab is left): never a reason to signal a process, which may be a user's
 * `tail -f` of a lab log.
 */
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

/** Terminates the recorded processes that still run (pid and start time match): SIGTERM, graceMs, SIGKILL. */
export async function terminateOwned(refs: readonly ProcessRef[], clock: Clock, graceMs = 3000): Promise<void> {
  const live = refs.filter(isOwnedAlive);
  for (const r of live) signal(r.pid, 'SIGTERM');
  const deadline = clock.monoMs() + graceMs;
  while (live.some(isOwnedAlive) && clock.monoMs() < deadline) await clock.sleep(25);
  for (const r of live.filter(isOwnedAlive)) signal(r.pid, 'SIGKILL');
  const killDeadline = clock.monoMs() + 2000;
  while (live.some(isOwnedAlive) && clock.monoMs() < killDeadline) await clock.sleep(10);
}

/** Kills a process at once (the crash fault). */
export function killNow(pid: number): void {
  signal(pid, 'SIGKILL');
}
