// The vocabulary between rollout policies and their I/O edge. A policy is a generator: it yields
// one action at a time and receives that action's result, and it never touches a socket, a
// process or a clock itself — so the same policy is a pure function of the results fed to it.
// Every `note` a policy yields becomes an event in the record (type deploy.<step>).
import type { DeployStepPayloads, DeployStepType, StepDataArgs } from '../record/event-types.js';

export interface FleetReplica {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly role: 'primary' | 'backup';
  readonly modelVersion: string;
  readonly connected: boolean;
  /** In a serving cluster (primaries normally, backups after promotion). */
  readonly serving: boolean;
  /** Taking traffic now (healthy in a serving cluster); absent: assumed to when connected and serving. */
  readonly routable?: boolean;
}

/** A synthetic request's outcome, as the deploy's own client saw it. */
export interface Sample {
  readonly ok: boolean;
  /** Whether the answer equals the expected deterministic answer of the version it should run. */
  readonly correct: boolean | null;
  readonly ttftMs?: number;
  /** Mean gap between tokens of this request. */
  readonly itlMs?: number;
}

export interface GroupSamples {
  readonly samples: readonly Sample[];
  /** Client traffic the group's replicas served in the window, and how much of it failed (agent counters). */
  readonly trafficRequests: number;
  readonly trafficErrors: number;
  /** Every replica of the group stayed healthy through the window. */
  readonly healthy: boolean;
  readonly unhealthyReason?: string;
}

export type DeployAction =
  | DeployNote
  /** Out of routing (held) or back in. */
  | { readonly kind: 'hold'; readonly replicaId: string; readonly held: boolean }
  | { readonly kind: 'drain'; readonly replicaId: string; readonly timeoutMs: number; readonly fromVersion: string }
  | { readonly kind: 'load'; readonly replicaId: string; readonly version: string; readonly behaviour: string }
  /** Back to a known-good version: LoadModel when the process lives, a restart on that version when it is gone. */
  | { readonly kind: 'restore'; readonly replicaId: string; readonly version: string }
  | { readonly kind: 'verify'; readonly replicaIds: readonly string[]; readonly version: string; readonly timeoutMs: number }
  | { readonly kind: 'watch'; readonly replicaIds: readonly string[]; readonly ms: number }
  /** Relative traffic weights; replicas not named get 1. Empty: every replica back to 1. */
  | { readonly kind: 'weights'; readonly weights: Readonly<Record<string, number>> }
  | { readonly kind: 'analyze'; readonly canary: readonly string[]; readonly canaryVersion: string; readonly baseline: readonly string[]; readonly baselineVersion: string; readonly ms: number }
  /** New replica processes (blue-green's green set), each in the same cluster as `like`. */
  | { readonly kind: 'spawn'; readonly replicas: readonly { readonly id: string; readonly like: string }[]; readonly version: string; readonly behaviour: string }
  /** Out of routing, drained (bounded), stopped and removed. */
  | { readonly kind: 'retire'; readonly replicaIds: readonly string[]; readonly drainMs: number }
  /** The version a replica must run from now on (a replica that restarts is brought to it). */
  | { readonly kind: 'desire'; readonly replicaIds: readonly string[]; readonly version: string; readonly behaviour: string }
  | { readonly kind: 'inspect'; readonly replicaId: string }
  | { readonly kind: 'wait'; readonly ms: number };

export type DeployResult =
  | { readonly kind: 'done' }
  /** inFlight is null and error set when the Drain call failed: what runs there is unknown. */
  | { readonly kind: 'drained'; readonly inFlight: number | null; readonly drained: boolean; readonly peerAvailable: boolean; readonly error?: string }
  | { readonly kind: 'loaded'; readonly ok: boolean; readonly error?: string }
  | { readonly kind: 'verified'; readonly ok: boolean; readonly reason?: string }
  | { readonly kind: 'watched'; readonly ok: boolean; readonly reason?: string }
  | { readonly kind: 'analyzed'; readonly canary: GroupSamples; readonly baseline: GroupSamples }
  | { readonly kind: 'inspected'; readonly connected: boolean; readonly modelVersion: string };

export type DeployOutcome = { readonly state: 'succeeded' | 'rolled-back' | 'failed'; readonly reason: string };

/** A rollout policy: yields actions, receives their results, returns the outcome. */
export type DeployPolicy = Generator<DeployAction, DeployOutcome, DeployResult>;

/** A deploy step to record; its data has the shape the event map declares for the step. */
export type DeployNote = {
  [T in DeployStepType]: { readonly kind: 'note'; readonly type: T; readonly subject?: string; readonly reason?: string; readonly data?: DeployStepPayloads[T] };
}[DeployStepType];

export function note<T extends DeployStepType>(type: T, subject?: string, reason?: string, ...[data]: StepDataArgs<T>): DeployAction {
  return { kind: 'note', type, ...(subject ? { subject } : {}), ...(reason ? { reason } : {}), ...(data ? { data } : {}) } as DeployNote;
}

/** Results are typed by action; a policy asks for the one it expects. */
export function expectResult<K extends DeployResult['kind']>(r: DeployResult, kind: K): Extract<DeployResult, { kind: K }> {
  if (r.kind !== kind) throw new Error(`deploy policy expected a ${kind} result, got ${r.kind}`);
  return r as Extract<DeployResult, { kind: K }>;
}
