// What `halab status` says about each lab process: alive or dead (by pid and start time), since
// when, and a warning when the entry point, a gateway or the control plane is dead.
import type { LabState, ProcessEntry } from '../../process/lab-state.js';
import { liveness, type Liveness } from '../../process/owned.js';

export interface ProcessLiveness {
  readonly name: string;
  readonly kind: ProcessEntry['kind'];
  readonly pid: number;
  readonly alive: boolean;
  /** alive | dead | reused (the pid belongs to another process now) | unverified (no start time recorded). */
  readonly state: Liveness;
  /** When the current process started (ISO 8601), when known. */
  readonly since?: string;
}

export function processLiveness(state: LabState): ProcessLiveness[] {
  return state.processes.map((p) => {
    const l = liveness(p);
    return {
      name: p.name,
      kind: p.kind,
      pid: p.pid,
      alive: l === 'alive' || l === 'unverified',
      state: l,
      ...(p.startedAtMs !== undefined ? { since: new Date(p.startedAtMs).toISOString() } : {}),
    };
  });
}

const ROLE: Partial<Record<ProcessEntry['kind'], string>> = {
  glb: 'the entry point (global load balancer) is DEAD: clients cannot reach the lab',
  gateway: 'a regional gateway is DEAD: its region takes no traffic',
  controlplane: 'a control-plane process is DEAD',
  etcd: 'etcd (the control plane\'s store) is DEAD',
  toxiproxy: 'the link proxies are DEAD: cross-region traffic is cut',
};

/** One line per dead process that matters on its own (replicas show in the replica table). */
export function livenessWarnings(processes: readonly ProcessLiveness[]): string[] {
  return processes
    .filter((p) => !p.alive && ROLE[p.kind])
    .map((p) => `${ROLE[p.kind]!} (${p.name}, pid ${p.pid}${p.state === 'reused' ? ', pid now reused by another process' : ''}); \`halab down\` then \`halab up\` restarts the lab`);
}

/** The process table of the text status. */
export function formatProcessTable(processes: readonly ProcessLiveness[]): string[] {
  return [
    'process                         pid      state   since',
    ...processes.map((p) => `${p.name.padEnd(31)} ${String(p.pid).padEnd(8)} ${(p.alive ? 'alive' : 'DEAD').padEnd(7)} ${p.since ?? '-'}`),
  ];
}
