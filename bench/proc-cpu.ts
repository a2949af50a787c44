// CPU time of processes from /proc/<pid>/stat (utime + stime, in clock ticks), each with its
// descendants (worker processes of a gateway, threads are counted by the kernel already).
import { readdirSync } from 'node:fs';
import { statFields } from '../src/process/owned.js';

/** Clock ticks per second (USER_HZ): 100 on every Linux the lab runs on. */
const TICKS_PER_S = 100;

/** Every live pid with its parent. */
function parents(): Map<number, number> {
  const out = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const f = statFields(Number(name));
    if (f) out.set(Number(name), Number(f[1])); // fields[1] is field 4 (ppid)
  }
  return out;
}

/** The pids and all their descendants. */
export function withDescendants(pids: readonly number[]): number[] {
  const ppid = parents();
  const all = new Set(pids);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [pid, parent] of ppid) {
      if (all.has(parent) && !all.has(pid)) {
        all.add(pid);
        grew = true;
      }
    }
  }
  return [...all];
}

/** CPU seconds (user + system) the processes and their descendants have used so far. */
export function cpuSeconds(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of withDescendants(pids)) {
    const f = statFields(pid);
    // fields[11] and fields[12] are fields 14 (utime) and 15 (stime)
    if (f) ticks += Number(f[11]) + Number(f[12]);
  }
  return ticks / TICKS_PER_S;
}
