// Watches a running lab's processes during `halab run`: a process that exits while no fault has
// killed it (a crash, an OOM kill, a stray signal) becomes a `process.died` event in the run's
// record and a warning line. A death is judged after a grace period, so the kills of a fault
// still being injected, and a heal restarting what a fault killed, are not reported.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventSink } from '../record/events.js';
import { EV } from '../record/event-types.js';
import { readLabState, type ProcessEntry } from '../process/lab-state.js';
import { liveness } from '../process/owned.js';
import type { LabPaths } from '../process/paths.js';
import type { ActiveFault } from '../chaos/faults-store.js';

/** How often the lab's processes are checked. */
export const PROCESS_WATCH_INTERVAL_MS = 500;
/** How long a death waits for a fault to claim it before it is reported. */
export const PROCESS_DEATH_GRACE_MS = 3000;

export interface ProcessWatchOptions {
  readonly paths: LabPaths;
  readonly events: EventSink;
  readonly clock: Clock;
  /** Faults in effect now (the engine's and those of `halab inject`). */
  readonly activeFaults: () => readonly ActiveFault[];
  readonly log: (line: string) => void;
  readonly intervalMs?: number;
  readonly graceMs?: number;
}

/** Names of the processes a fault killed and will restart when it heals. */
export function processesKilledBy(faults: readonly ActiveFault[], state: { readonly processes: readonly ProcessEntry[] }): Set<string> {
  const names = new Set<string>();
  for (const f of faults) {
    for (const step of f.undo) {
      if (step.type === 'restart') names.add(step.processName);
      if (step.type === 'restore-controlplane') for (const p of state.processes) if (p.kind === 'controlplane') names.add(p.name);
    }
  }
  return names;
}

interface Suspect {
  readonly entry: ProcessEntry;
  readonly seenAtMs: number;
  claimed: boolean;
}

export class ProcessWatch {
  private timer: TimerHandle | undefined;
  private readonly suspects = new Map<string, Suspect>();
  /** name:pid of deaths already judged. */
  private readonly judged = new Set<string>();
  readonly died: { name: string; pid: number }[] = [];

  constructor(private readonly opts: ProcessWatchOptions) {}

  start(): void {
    const tick = (): void => {
      this.check(false);
      this.timer = this.opts.clock.setTimer(this.opts.intervalMs ?? PROCESS_WATCH_INTERVAL_MS, tick);
    };
    this.timer = this.opts.clock.setTimer(this.opts.intervalMs ?? PROCESS_WATCH_INTERVAL_MS, tick);
  }

  /** Stops watching; a death still in its grace period is judged now. */
  stop(): void {
    this.timer?.cancel();
    this.check(true);
  }

  private check(final: boolean): void {
    let state;
    try {
      state = readLabState(this.opts.paths);
    } catch {
      return; // a state file being replaced: next tick
    }
    if (!state) return;
    const killed = processesKilledBy(this.opts.activeFaults(), state);
    const now = this.opts.clock.monoMs();
    for (const entry of state.processes) {
      const key = `${entry.name}:${entry.pid}`;
      if (this.judged.has(key) || this.suspects.has(key)) continue;
      const l = liveness(entry);
      if (l === 'dead' || l === 'reused') this.suspects.set(key, { entry, seenAtMs: now, claimed: false });
    }
    const current = new Map(state.processes.map((p) => [p.name, p.pid]));
    for (const [key, s] of this.suspects) {
      // killed by a fault, or already restarted by its heal (a new pid) or stopped by a deployment (gone from the state)
      s.claimed ||= killed.has(s.entry.name) || current.get(s.entry.name) !== s.entry.pid;
      if (!s.claimed && !final && now - s.seenAtMs < (this.opts.graceMs ?? PROCESS_DEATH_GRACE_MS)) continue;
      this.suspects.delete(key);
      this.judged.add(key);
      if (s.claimed) continue;
      this.died.push({ name: s.entry.name, pid: s.entry.pid });
      this.opts.events.emit(EV.processDied, s.entry.name, 'exited while no fault had killed it', {
        pid: s.entry.pid,
        kind: s.entry.kind,
        ...(s.entry.startedAtMs !== undefined ? { startedAtMs: s.entry.startedAtMs } : {}),
      });
      this.opts.log(`warning: lab process ${s.entry.name} (pid ${s.entry.pid}) died, and no fault killed it`);
    }
  }
}
