// The harness's trace: every event the real classes record (health, routing, failover, chaos,
// ejection, GLB decisions) plus the harness's own notes (failed client requests), one line each,
// folded into a hash so that two runs of a seed can be compared without keeping the lines.
import type { Clock } from '../../core/clock.js';
import type { EventSink, LabEvent } from '../../record/events.js';
import type { DataArgs, EventType } from '../../record/event-types.js';
import { RECORD_VERSION } from '../../record/schema-version.js';

export class Trace {
  /** The lines, when kept (a replay); a sweep keeps only the hash. */
  readonly lines: string[] | undefined;
  /** Every event, for the checks that read the record (fault heals). */
  readonly events: LabEvent[] = [];
  private h1 = 0x811c9dc5;
  private h2 = 0x01000193;
  count = 0;

  constructor(
    private readonly clock: Clock,
    keepLines: boolean,
  ) {
    this.lines = keepLines ? [] : undefined;
  }

  add(line: string): void {
    this.count += 1;
    this.lines?.push(line);
    // two 32-bit FNV-1a variants: cheap, and 64 bits between them
    let h1 = this.h1;
    let h2 = this.h2;
    for (let i = 0; i < line.length; i++) {
      const c = line.charCodeAt(i);
      h1 = Math.imul(h1 ^ c, 0x01000193);
      h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    }
    this.h1 = h1 ^ 10;
    this.h2 = h2 ^ 10;
  }

  note(what: string): void {
    this.add(`${this.clock.nowMs()} harness ${what}`);
  }

  hash(): string {
    return ((BigInt(this.h1 >>> 0) << 32n) | BigInt(this.h2 >>> 0)).toString(16).padStart(16, '0');
  }

  /** An event sink for one source whose every event lands in this trace. */
  sink(source: string): EventSink {
    return {
      emit: <T extends EventType>(type: T, subject: string, reason?: string, ...[data]: DataArgs<T>): LabEvent => {
        const event: LabEvent = { v: RECORD_VERSION, atMs: this.clock.nowMs(), source, type, subject, ...(reason ? { reason } : {}), ...(data ? { data: data as Readonly<Record<string, unknown>> } : {}) };
        this.events.push(event);
        this.add(`${event.atMs} ${source} ${type} ${subject}${reason ? ` — ${reason}` : ''}`);
        return event;
      },
    };
  }
}
