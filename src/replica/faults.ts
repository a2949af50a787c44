// Fault modes of a stand-in replica, switched on and off through its agent. Pure state: the HTTP
// layer and the engine ask it how to behave.
import { HalabError } from '../core/errors.js';
import type { Rng } from '../core/rng.js';

export const REPLICA_FAULT_KINDS = [
  'gpu.xid',
  'gpu.thermal',
  'replica.hang',
  'replica.slow',
  'replica.error-rate',
  'replica.stream-cut',
  'model.corrupt',
  'replica.crash',
] as const;

export type ReplicaFaultKind = (typeof REPLICA_FAULT_KINDS)[number];

export interface ActiveReplicaFault {
  readonly id: string;
  readonly kind: ReplicaFaultKind;
  readonly factor: number;
  readonly probability: number;
  readonly afterTokens: number;
}

const DEFAULTS: Record<ReplicaFaultKind, { factor: number; probability: number; afterTokens: number }> = {
  'gpu.xid': { factor: 1, probability: 1, afterTokens: 0 },
  'gpu.thermal': { factor: 3, probability: 1, afterTokens: 0 },
  'replica.hang': { factor: 1, probability: 1, afterTokens: 0 },
  'replica.slow': { factor: 5, probability: 1, afterTokens: 0 },
  'replica.error-rate': { factor: 1, probability: 0.5, afterTokens: 0 },
  'replica.stream-cut': { factor: 1, probability: 1, afterTokens: 8 },
  'model.corrupt': { factor: 1, probability: 1, afterTokens: 0 },
  'replica.crash': { factor: 1, probability: 1, afterTokens: 0 },
};

export function isReplicaFaultKind(kind: string): kind is ReplicaFaultKind {
  return (REPLICA_FAULT_KINDS as readonly string[]).includes(kind);
}

export class FaultState {
  private readonly faults = new Map<string, ActiveReplicaFault>();

  constructor(private readonly rng: Rng) {}

  /** Adds a fault; zero or missing parameters take the kind's defaults. */
  inject(kind: string, id: string, params: { factor?: number; probability?: number; afterTokens?: number } = {}): ActiveReplicaFault {
    if (!isReplicaFaultKind(kind)) {
      throw new HalabError('UNKNOWN_FAULT', `unknown replica fault kind "${kind}"; known: ${REPLICA_FAULT_KINDS.join(', ')}`);
    }
    const d = DEFAULTS[kind];
    const fault: ActiveReplicaFault = {
      id: id || `${kind}-${this.faults.size + 1}`,
      kind,
      factor: params.factor && params.factor > 0 ? params.factor : d.factor,
      probability: params.probability && params.probability > 0 ? Math.min(1, params.probability) : d.probability,
      afterTokens: params.afterTokens && params.afterTokens > 0 ? Math.floor(params.afterTokens) : d.afterTokens,
    };
    this.faults.set(fault.id, fault);
    return fault;
  }

  /** Clears one fault, or all when id is empty. Returns whether anything was cleared. */
  clear(id: string): boolean {
    if (!id) {
      const had = this.faults.size > 0;
      this.faults.clear();
      return had;
    }
    return this.faults.delete(id);
  }

  list(): ActiveReplicaFault[] {
    return [...this.faults.values()];
  }

  private find(kind: ReplicaFaultKind): ActiveReplicaFault | undefined {
    for (const f of this.faults.values()) if (f.kind === kind) return f;
    return undefined;
  }

  xid(): boolean {
    return this.find('gpu.xid') !== undefined;
  }

  hung(): boolean {
    return this.find('replica.hang') !== undefined;
  }

  corrupt(): boolean {
    return this.find('model.corrupt') !== undefined;
  }

  thermal(): boolean {
    return this.find('gpu.thermal') !== undefined;
  }

  /** Product of slow and thermal factors. */
  slowFactor(): number {
    let f = 1;
    for (const fault of this.faults.values()) if (fault.kind === 'replica.slow' || fault.kind === 'gpu.thermal') f *= fault.factor;
    return f;
  }

  /** Tokens after which a stream is cut, or undefined when streams are not cut. */
  cutAfterTokens(): number | undefined {
    return this.find('replica.stream-cut')?.afterTokens;
  }

  /** Whether this request should fail with a 5xx (error-rate fault), drawn from the seeded rng. */
  drawError(): boolean {
    const f = this.find('replica.error-rate');
    return f !== undefined && this.rng.next() < f.probability;
  }
}
