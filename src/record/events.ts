// The event record: every control-plane, gateway, replica and chaos event, one JSON object per line.
// Each process appends to its own file synchronously, so a crash never loses a written event.
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { DataArgs, DeployStepType, EventType, StepDataArgs } from './event-types.js';
import { RECORD_VERSION, type RecordVersion } from './schema-version.js';

/** One event as read back (any version-1 file, so its type is any string the lab once wrote). */
export interface LabEvent {
  /** Record schema version; absent in files written before it existed (read as 1). */
  readonly v?: RecordVersion;
  /** Epoch milliseconds. */
  readonly atMs: number;
  /** Who recorded it: controlplane, gateway/us-east-1, chaos, load, replica/us-east-1/primary/0. */
  readonly source: string;
  /** Dotted type, e.g. health.unhealthy, routing.removed, fault.injected, passive.eject (see EventPayloads). */
  readonly type: string;
  /** What it is about: a replica, cluster or region id, or a fault id. */
  readonly subject: string;
  readonly reason?: string;
  readonly data?: Readonly<Record<string, unknown>>;
}

export interface EventSink {
  /** Records one event now; a misspelt type or a data field the type does not declare fails to compile. */
  emit<T extends EventType>(type: T, subject: string, reason?: string, ...data: DataArgs<T>): LabEvent;
}

/** Records step T of deployment deployId: the step's declared data plus the deployment's id. */
export function emitDeployStep<T extends DeployStepType>(sink: EventSink, type: T, subject: string, reason: string | undefined, deployId: string, ...[data]: StepDataArgs<T>): LabEvent {
  // EventPayloads[T] is exactly the step's data plus deployId; the compiler cannot see that for a generic T
  const args = [{ ...data, deployId }] as unknown as DataArgs<T>;
  return sink.emit(type, subject, reason, ...args);
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
    emit<T extends EventType>(type: T, subject: string, reason?: string, ...[data]: DataArgs<T>): LabEvent {
      const event: LabEvent = {
        v: RECORD_VERSION,
        atMs: clock.nowMs(),
        source,
        type,
        subject,
        ...(reason ? { reason } : {}),
        ...(data ? { data: data as Readonly<Record<string, unknown>> } : {}),
      };
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
