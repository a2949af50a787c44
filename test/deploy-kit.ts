// Test kit for rollout policies: drives a policy generator with scripted results (no I/O), so a
// test states the fleet's behaviour and checks the actions the policy decided on.
import type { DeployAction, DeployOutcome, DeployPolicy, DeployResult, FleetReplica, GroupSamples, Sample } from '../src/policy/rollout-actions.js';

export function fleetReplica(id: string, over: Partial<FleetReplica> = {}): FleetReplica {
  const [region, cluster] = id.split('/');
  return { id, region: region!, cluster: cluster!, role: cluster === 'backup' ? 'backup' : 'primary', modelVersion: 'v1', connected: true, serving: cluster !== 'backup', ...over };
}

/** A responder that says yes to everything: drains, loads, verifies, watches. */
export function happy(action: DeployAction): DeployResult {
  switch (action.kind) {
    case 'drain':
      return { kind: 'drained', inFlight: 0, drained: true, peerAvailable: true };
    case 'load':
    case 'restore':
      return { kind: 'loaded', ok: true };
    case 'verify':
      return { kind: 'verified', ok: true };
    case 'watch':
      return { kind: 'watched', ok: true };
    case 'inspect':
      return { kind: 'inspected', connected: true, modelVersion: 'v1' };
    case 'analyze':
      return { kind: 'analyzed', canary: group(samples(20, 10, 7)), baseline: group(samples(20, 10, 7)) };
    default:
      return { kind: 'done' };
  }
}

export function samples(n: number, ttftMs: number, itlMs: number, over: Partial<Sample> = {}): Sample[] {
  return Array.from({ length: n }, (_, i) => ({ ok: true, correct: true, ttftMs: ttftMs + (i % 5), itlMs: itlMs + (i % 3) * 0.5, ...over }));
}

export function group(s: Sample[], over: Partial<GroupSamples> = {}): GroupSamples {
  return { samples: s, trafficRequests: 0, trafficErrors: 0, healthy: true, ...over };
}

export function drive(policy: DeployPolicy, respond: (a: DeployAction) => DeployResult = happy, limit = 10_000): { actions: DeployAction[]; outcome: DeployOutcome } {
  const actions: DeployAction[] = [];
  let next = policy.next();
  while (!next.done) {
    actions.push(next.value);
    if (actions.length > limit) throw new Error('policy did not end');
    next = policy.next(respond(next.value));
  }
  return { actions, outcome: next.value };
}

export const kinds = (actions: readonly DeployAction[]): string[] => actions.filter((a) => a.kind !== 'note').map((a) => ('replicaId' in a ? `${a.kind}:${a.replicaId}` : a.kind));
export const notes = (actions: readonly DeployAction[]): string[] => actions.flatMap((a) => (a.kind === 'note' ? [`${a.type}${a.subject ? `:${a.subject}` : ''}`] : []));
