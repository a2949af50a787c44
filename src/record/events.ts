// The event record: every control-plane, gateway, replica and chaos event, one JSON object per line.
// Each process appends to its own file synchronously, so a crash never loses a written event.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';

export interface LabEvent {
  /** Epoch milliseconds. */
  readonly atMs: number;
  /** Who recorded it: controlplane, gateway/us-east-1, chaos, load, replica/us-east-1/primary/0. */
  readonly source: string;
  /** Dotted type, e.g. health.unhealthy, routing.removed, fault.injected, passive.eject. */
  readonly type: string;
  /** What it is about: a replica, cluster or region id, or a fault id. */
  readonly subject: string;
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EventSink {
  emit(type: string, subject: string, reason?: string, data?: Record<string, unknown>): LabEvent;
}

/** Appends events to an ndjson file (and calls onEvent for live subscribers). */
export function fileEventSink(
  file: string | undefined,
  source: string,
  clock: Clock,
  onEvent?: (event: LabEvent) => void,
): EventSink {
  if (file) mkdirSync(dirname(file), { recursive: true });
  return {
    emit(type, subject, reason, data) {
      const event: LabEvent = { atMs: clock.nowMs(), source, type, subject, ...(reason ? { reason } : {}), ...(data ? { data } : {}) };
      if (file) appendFileSync(file, JSON.stringify(event) + '\n');
      onEvent?.(event);
      return event;
    },
  };
}

/** An in-memory sink, for tests and the simulator. */
export function memoryEventSink(source: string, clock: Clock): EventSink & { readonly events: LabEvent[] } {
  const events: LabEvent[] = [];
  const sink = fileEventSink(undefined, source, clock, (e) => events.push(e));
  return { ...sink, events };
}
