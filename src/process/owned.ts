// Which OS processes a lab owns: every process the lab starts is written to a launch ledger
// (<lab>/procs/launched.ndjson) with its pid and its start time (field 22 of /proc/<pid>/stat,
// clock ticks since boot). A pid alone is not an identity — the kernel reuses pids — so a process
// counts as the lab's only while both the pid and the start time match. `halab down` stops
// exactly those, never a process found by its command line.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ProcessRef {
  readonly pid: number;
  /** Start time in clock ticks since boot; absent for a process recorded before start times were. */
  readonly startTicks?: number;
}

export interface LaunchRecord extends ProcessRef {
  readonly name: string;
  /** Wall-clock start, epoch ms (from the start ticks and the boot time). */
  readonly startedAtMs?: number;
}

/** Linux's USER_HZ: /proc start times are in these ticks (100 on every mainstream architecture). */
const TICKS_PER_SECOND = 100;

/** The fields of /proc/<pid>/stat after the command name (which may itself contain spaces and parens). */
export function statFields(pid: number): string[] | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** A live process's start time in ticks since boot, or undefined when there is no such process. */
export function processStartTicks(pid: number): number | undefined {
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  // fields[0] is field 3 (state), so field 22 (starttime) is fields[19]
  const ticks = Number(statFields(pid)?.[19]);
  return Number.isFinite(ticks) ? ticks : undefined;
}

let bootTimeMs: number | undefined;

/** Epoch ms of a start time given in ticks since boot (undefined where /proc/stat has no btime). */
export function ticksToEpochMs(ticks: number): number | undefined {
  if (bootTimeMs === undefined) {
    try {
      const btime = /^btime (\d+)$/m.exec(readFileSync('/proc/stat', 'utf8'));
      if (!btime) return undefined;
      bootTimeMs = Number(btime[1]) * 1000;
    } catch {
      return undefined;
    }
  }
  return bootTimeMs + (ticks * 1000) / TICKS_PER_SECOND;
}

export type Liveness = 'alive' | 'dead' | 'reused' | 'unverified';

/**
 * What has become of a recorded process: `alive` (same pid, same start time, not a zombie),
 * `dead`, `reused` (the pid now belongs to another process), or `unverified` (it runs but no start
 * time was recorded, so it cannot be told apart from a stranger).
 */
export function liveness(ref: ProcessRef): Liveness {
  const fields = statFields(ref.pid);
  if (!fields || fields[0] === 'Z' || fields[0] === 'X') return 'dead';
  if (ref.startTicks === undefined) return 'unverified';
  return Number(fields[19]) === ref.startTicks ? 'alive' : 'reused';
}

/** Whether the recorded process still runs (pid and start time both match). */
export function isOwnedAlive(ref: ProcessRef): boolean {
  return liveness(ref) === 'alive';
}

export function launchLedger(labDir: string): string {
  return join(labDir, 'procs', 'launched.ndjson');
}

/** Records a process the lab has just started (call right after spawn); returns its identity. */
export function recordLaunch(labDir: string, name: string, pid: number): LaunchRecord {
  const startTicks = processStartTicks(pid);
  const startedAtMs = startTicks === undefined ? undefined : ticksToEpochMs(startTicks);
  const record: LaunchRecord = { name, pid, ...(startTicks !== undefined ? { startTicks } : {}), ...(startedAtMs !== undefined ? { startedAtMs } : {}) };
  mkdirSync(join(labDir, 'procs'), { recursive: true });
  appendFileSync(launchLedger(labDir), JSON.stringify(record) + '\n');
  return record;
}

/** Every launch the ledger holds, oldest first; a torn or foreign line is skipped. */
export function readLaunches(labDir: string): LaunchRecord[] {
  const file = launchLedger(labDir);
  if (!existsSync(file)) return [];
  const out: LaunchRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      const r = JSON.parse(line) as Partial<LaunchRecord>;
      if (typeof r.name === 'string' && Number.isInteger(r.pid) && r.pid! > 0) {
        out.push({ name: r.name, pid: r.pid!, ...(typeof r.startTicks === 'number' ? { startTicks: r.startTicks } : {}), ...(typeof r.startedAtMs === 'number' ? { startedAtMs: r.startedAtMs } : {}) });
      }
    } catch {
      // a line torn by a crash mid-write
    }
  }
  return out;
}

/** The ledger's record of this exact process (name and pid), if any: where its start time comes from. */
export function launchOf(labDir: string, name: string, pid: number): LaunchRecord | undefined {
  return readLaunches(labDir)
    .filter((r) => r.name === name && r.pid === pid)
    .at(-1);
}

export interface CpuSeconds {
  /** This process's own user + system CPU. */
  readonly self: number;
  /**
   * User + system CPU of its children that have ended and been reaped (a lab's components, a
   * parallel suite's child `halab run`s and, through them, their labs): fields 16–17 of /proc/self/stat.
   */
  readonly children: number;
}

/** CPU seconds this process and its ended children have used (undefined without /proc). */
export function cpuSecondsUsed(): CpuSeconds | undefined {
  const fields = statFields(process.pid);
  if (!fields) return undefined;
  // fields[0] is field 3, so utime, stime, cutime, cstime (fields 14–17) are fields[11..14]
  const [u, s, cu, cs] = fields.slice(11, 15).map(Number);
  if (![u, s, cu, cs].every((x) => Number.isFinite(x))) return undefined;
  return { self: (u! + s!) / TICKS_PER_SECOND, children: (cu! + cs!) / TICKS_PER_SECOND };
}
