// Merges every process's event file of a lab into one timeline, ordered by time.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabEvent } from '../record/events.js';

export function collectLabEvents(eventsDir: string): LabEvent[] {
  if (!existsSync(eventsDir)) return [];
  const events: LabEvent[] = [];
  for (const file of readdirSync(eventsDir).filter((f) => f.endsWith('.ndjson')).sort()) {
    for (const line of readFileSync(join(eventsDir, file), 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        events.push(JSON.parse(line) as LabEvent);
      } catch {
        // a line cut by a killed process: everything before it is intact
      }
    }
  }
  return events.sort((a, b) => a.atMs - b.atMs);
}
