// The processes a lab started and what became of each: from its state file (the current process
// of every component) and its launch ledger (every process ever started, restarts included), each
// checked by pid and start time. `halab down`, `halab up` and `halab status` read the lab this way,
// and still can when the state file is corrupt.
import type { HalabError } from '../core/errors.js';
import { inspectLabState, type LabState, type ProcessEntry } from './lab-state.js';
import { liveness, readLaunches, type Liveness } from './owned.js';
import type { LabPaths } from './paths.js';

export interface SurveyedProcess {
  readonly name: string;
  readonly pid: number;
  readonly startTicks?: number;
  readonly startedAtMs?: number;
  readonly liveness: Liveness;
  /** The newest process of its name (an older one was replaced by a restart). */
  readonly current: boolean;
}

export interface LabSurvey {
  readonly state?: LabState;
  /** Set when the state file exists but cannot be used. */
  readonly corrupt?: HalabError;
  /** Every process the lab started (state and ledger), each once. */
  readonly processes: readonly SurveyedProcess[];
}

function surveyed(p: Pick<ProcessEntry, 'name' | 'pid' | 'startTicks' | 'startedAtMs'>, current: boolean): SurveyedProcess {
  return {
    current,
    name: p.name,
    pid: p.pid,
    ...(p.startTicks !== undefined ? { startTicks: p.startTicks } : {}),
    ...(p.startedAtMs !== undefined ? { startedAtMs: p.startedAtMs } : {}),
    liveness: liveness(p),
  };
}

export function surveyLab(paths: LabPaths): LabSurvey {
  const { state, corrupt } = inspectLabState(paths);
  const launches = readLaunches(paths.labDir);
  const newest = new Map(launches.map((l) => [l.name, l.pid]));
  for (const p of state?.processes ?? []) newest.set(p.name, p.pid);
  const seen = new Set<string>();
  const processes: SurveyedProcess[] = [];
  for (const p of [...(state?.processes ?? []), ...launches]) {
    const key = `${p.pid}:${p.startTicks ?? '?'}`;
    if (seen.has(key)) continue;
    seen.add(key);
    processes.push(surveyed(p, newest.get(p.name) === p.pid));
  }
  return { ...(state ? { state } : {}), ...(corrupt ? { corrupt } : {}), processes };
}

/** "glb pid 123: the pid now belongs to another process", for what `halab down` leaves alone. */
export function describeLeftAlone(p: SurveyedProcess): string {
  return p.liveness === 'reused'
    ? `${p.name} pid ${p.pid}: the pid now belongs to another process (its start time differs)`
    : `${p.name} pid ${p.pid}: running, but no start time was recorded to prove it is the lab's`;
}
