// Lab processes that died while no fault had killed them, from the record's process.died events.
import { EV } from '../record/event-types.js';
import type { LabEvent } from '../record/events.js';

export interface ProcessDeath {
  readonly name: string;
  readonly pid: number;
  readonly kind: string;
  /** Time of the observation, ms after the first event of the run. */
  readonly atMs: number;
}

export function processDeaths(events: readonly LabEvent[]): ProcessDeath[] {
  const t0 = events[0]?.atMs ?? 0;
  return events
    .filter((e) => e.type === EV.processDied)
    .map((e) => {
      const data = (e.data ?? {}) as { pid?: unknown; kind?: unknown };
      return { name: e.subject, pid: Number(data.pid ?? 0), kind: String(data.kind ?? ''), atMs: Math.round(e.atMs - t0) };
    });
}
