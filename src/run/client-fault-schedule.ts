// The client-side part of a run's fault schedule: load.* faults go to the load driver (with their
// kind's default parameters), and their windows are recorded as fault.injected / fault.healed
// events like every other fault's, so measure/ sees them on the one timeline.
import { faultKindInfo, isClientFaultKind } from '../config/fault-kinds.js';
import type { ResolvedFault } from '../config/scenario.js';
import type { EventSink } from '../record/events.js';
import { EV } from '../record/event-types.js';
import type { ClientFault } from '../load/driver.js';

export function clientFaultsOf(schedule: readonly ResolvedFault[]): ClientFault[] {
  return schedule
    .filter((f) => isClientFaultKind(f.kind))
    .map((f) => ({
      faultId: f.faultId,
      kind: f.kind,
      atMs: f.atMs,
      ...(f.forMs !== undefined ? { forMs: f.forMs } : {}),
      params: { ...(faultKindInfo(f.kind)?.defaults ?? {}), ...(f.params ?? {}) },
    }));
}

/** Records each client-side fault's window as it starts and ends. */
export function clientFaultRecorder(events: EventSink): (phase: 'injected' | 'healed', fault: ClientFault, atMs: number) => void {
  return (phase, fault, atMs) => {
    if (phase === 'injected') events.emit(EV.faultInjected, fault.faultId, undefined, { kind: fault.kind, target: 'clients', replicas: [], params: fault.params, startedAtMs: atMs });
    else events.emit(EV.faultHealed, fault.faultId, undefined, { kind: fault.kind, target: 'clients', replicas: [] });
  };
}
