// Runs a fault schedule against the running lab: injects each fault at its time, heals it after
// its `for`, and keeps the undo stack so that every fault heals — on schedule, at the end of the
// run, on error and on Ctrl-C. Every injection, heal and failure is an event in the record.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { EventSink } from '../record/events.js';
import { EV } from '../record/event-types.js';
import { readFaults, writeFaults, type ActiveFault } from './faults-store.js';
import { healFault, injectFault, type FaultParams, type InjectContext } from './injectors.js';

/** Records a heal: fault.healed, or fault.heal-failed naming every undo step that failed (the fault may still be in effect). */
export function recordHeal(events: EventSink, fault: ActiveFault, failures: readonly string[]): void {
  const data = { kind: fault.kind, target: fault.target, replicas: fault.replicas };
  if (failures.length === 0) events.emit(EV.faultHealed, fault.id, undefined, data);
  else events.emit(EV.faultHealFailed, fault.id, failures.join('; '), data);
}

export interface ScheduledFault {
  readonly faultId: string;
  readonly kind: string;
  readonly target: string;
  /** Time after the schedule starts. */
  readonly atMs: number;
  /** Heal this long after injection; absent: heal at the end of the run. */
  readonly forMs?: number;
  readonly params?: FaultParams;
}

/** Where active faults are kept for `halab heal` (the lab directory's faults.json by default). */
export interface FaultsStore {
  read(labDir: string): ActiveFault[];
  write(labDir: string, faults: readonly ActiveFault[]): void;
}

const fileFaultsStore: FaultsStore = { read: readFaults, write: writeFaults };

export class ChaosEngine {
  private readonly active = new Map<string, ActiveFault>();
  private readonly timers: TimerHandle[] = [];
  private readonly pending = new Set<Promise<unknown>>();
  /** Ids this engine ever injected, to keep other processes' faults in the shared store. */
  private readonly mine = new Set<string>();
  private stopped = false;
  private stopping: Promise<string[]> | undefined;

  constructor(
    private readonly ctx: InjectContext,
    private readonly events: EventSink,
    private readonly clock: Clock,
    private readonly onChange?: () => void,
    private readonly store: FaultsStore = fileFaultsStore,
  ) {}

  /** Schedules every fault relative to now. Returns at once. */
  start(schedule: readonly ScheduledFault[]): void {
    for (const f of schedule) {
      this.timers.push(this.clock.setTimer(f.atMs, () => this.track(this.inject(f))));
    }
  }

  activeFaults(): ActiveFault[] {
    return [...this.active.values()];
  }

  /**
   * Cancels what has not happened yet, waits for what is under way, and heals everything. Every
   * call returns the same promise, so an early stop (an abort) and the final one share one heal.
   */
  stop(): Promise<string[]> {
    this.stopping ??= this.healAll();
    return this.stopping;
  }

  private async healAll(): Promise<string[]> {
    this.stopped = true;
    for (const t of this.timers) t.cancel();
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
    const failures: string[] = [];
    for (const fault of [...this.active.values()].reverse()) failures.push(...(await this.heal(fault)));
    return failures;
  }

  private track(p: Promise<unknown>): void {
    this.pending.add(p);
    void p.finally(() => this.pending.delete(p));
  }

  private async inject(f: ScheduledFault): Promise<void> {
    if (this.stopped) return;
    // Injection can take a while (proxy API calls, several kills); its effect starts at the start.
    const startedAtMs = this.clock.nowMs();
    try {
      const fault = await injectFault(this.ctx, { id: f.faultId, kind: f.kind, target: f.target, ...(f.params ? { params: f.params } : {}) });
      this.active.set(fault.id, fault);
      this.mine.add(fault.id);
      this.persist();
      this.events.emit(EV.faultInjected, fault.id, undefined, { kind: fault.kind, target: fault.target, replicas: fault.replicas, params: f.params ?? {}, startedAtMs, ...(fault.output !== undefined ? { output: fault.output, inEffectAtMs: fault.injectedAtMs } : {}) });
      if (f.forMs !== undefined && !this.stopped) {
        this.timers.push(this.clock.setTimer(f.forMs, () => this.track(this.heal(fault))));
      }
    } catch (err) {
      this.events.emit(EV.faultFailed, f.faultId, (err as Error).message, { kind: f.kind, target: f.target });
    } finally {
      this.onChange?.();
    }
  }

  private async heal(fault: ActiveFault): Promise<string[]> {
    if (!this.active.delete(fault.id)) return [];
    const failures = await healFault(this.ctx, fault);
    this.persist();
    recordHeal(this.events, fault, failures);
    this.onChange?.();
    return failures;
  }

  private persist(): void {
    const others = this.store.read(this.ctx.paths.labDir).filter((f) => !this.mine.has(f.id));
    this.store.write(this.ctx.paths.labDir, [...others, ...this.active.values()]);
  }
}
