// What an injector is: a small value for one fault family (Jepsen's nemesis) that applies a fault
// and records the undo of each action as soon as the action has succeeded.
import type { Clock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import type { Topology } from '../../config/topology.js';
import type { LabState, ProcessEntry } from '../../process/lab-state.js';
import type { LabPaths } from '../../process/paths.js';
import type { Effects } from './effects.js';
import type { UndoStep } from './undo.js';

export interface FaultParams {
  readonly factor?: number;
  readonly probability?: number;
  readonly afterTokens?: number;
  readonly count?: number;
  readonly latencyMs?: number;
}

export interface FaultRequest {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly params?: FaultParams;
  readonly healAtMs?: number;
}

export interface InjectContext {
  readonly paths: LabPaths;
  readonly topology: Topology;
  readonly clock: Clock;
  /** The lab's side effects; absent: the real ones. */
  readonly effects?: Effects;
}

export interface InjectorContext extends InjectContext {
  readonly effects: Effects;
}

/** A request checked against the catalogue and topology, its parameters defaulted. */
export interface ResolvedRequest extends FaultRequest {
  readonly params: FaultParams;
  /** Replicas the target covers. */
  readonly replicas: readonly string[];
}

export interface Injected {
  /** Replicas the fault affects (for measurement). */
  readonly replicas: readonly string[];
  /** When the fault took effect, when not when inject returned (ms, clock time). */
  readonly injectedAtMs?: number;
  /** What the fault's commands printed. */
  readonly output?: string;
}

export interface Injector {
  readonly family: string;
  readonly kinds: readonly string[];
  /**
   * Applies the fault. Pushes onto `undo` the undo of each action right after the action
   * succeeds, so that when a later action throws, the caller can heal what was done.
   */
  inject(ctx: InjectorContext, req: ResolvedRequest, undo: UndoStep[]): Promise<Injected>;
}

/** The running lab's state; throws LAB_NOT_RUNNING when there is none. */
export function runningLab(ctx: InjectorContext): LabState {
  const state = ctx.effects.labState(ctx.paths);
  if (!state) throw new HalabError('LAB_NOT_RUNNING', 'no lab is running', 'start one with `halab up`');
  return state;
}

export function processNamed(state: LabState, name: string): ProcessEntry {
  const entry = state.processes.find((p) => p.name === name);
  if (!entry) throw new HalabError('UNKNOWN_TARGET', `no process ${name} in the running lab`);
  return entry;
}
