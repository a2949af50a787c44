// Merges every process's event file of a lab into one timeline, ordered by time.
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { LabEvent } from '../record/events.js';
import type { TornLine } from '../record/ndjson.js';
import { readEvents } from '../record/record-io.js';

/**
 * Every event of the lab's processes. A process killed mid-append and started again appends after
 * its torn line, so a torn line may sit anywhere in a process's file: each is left out and passed
 * to onTorn; any other damaged line throws RECORD_CORRUPT.
 */
export function collectLabEvents(eventsDir: string, onTorn?: (torn: TornLine) => void): LabEvent[] {
  if (!existsSync(eventsDir)) return [];
  const events: LabEvent[] = [];
  for (const file of readdirSync(eventsDir).filter((f) => f.endsWith('.ndjson')).sort()) {
    events.push(...readEvents(join(eventsDir, file), { torn: 'any', ...(onTorn ? { onTorn } : {}) }).records);
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}
