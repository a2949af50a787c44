// Who answered, from client records only: the share of answers each route group (and model)
// served, and how long after a fault healed the faulted target served answers again.
import type { RequestRecord } from '../record/records.js';
import type { FaultWindow } from './faults.js';
import { isAvailable } from './requests.js';

export interface GroupShare {
  /** Route group that answered ("unreported" when the answer did not name one). */
  readonly group: string;
  readonly model?: string;
  readonly answers: number;
  /** answers / all available answers. */
  readonly share: number;
}

/** Available answers per answering group, most first. */
export function answersByGroup(records: readonly RequestRecord[]): GroupShare[] {
  const counts = new Map<string, { model?: string; answers: number }>();
  let total = 0;
  for (const r of records) {
    if (!isAvailable(r)) continue;
    total += 1;
    const group = r.group ?? 'unreported';
    const c = counts.get(group) ?? { ...(r.model ? { model: r.model } : {}), answers: 0 };
    c.answers += 1;
    counts.set(group, c);
  }
  return [...counts.entries()]
    .map(([group, c]) => ({ group, ...(c.model ? { model: c.model } : {}), answers: c.answers, share: Math.round((c.answers / total) * 1e4) / 1e4 }))
    .sort((a, b) => b.answers - a.answers || a.group.localeCompare(b.group));
}

/** Whether a replica id is the fault's target or one of its replicas. */
function inTarget(replica: string, w: FaultWindow): boolean {
  return w.replicas.includes(replica) || replica === w.target || replica.startsWith(`${w.target}/`);
}

/**
 * Heal → the start of the first available answer that the faulted target served (its last
 * replica in the target), ms; null when none did after the heal, undefined for an unhealed fault.
 */
export function returnAfterHealMs(w: FaultWindow, sorted: readonly RequestRecord[]): number | null | undefined {
  if (w.healedAtMs === null) return undefined;
  const healed = w.healedAtMs;
  const back = sorted.find((r) => r.startMs >= healed && isAvailable(r) && r.replicas.length > 0 && inTarget(r.replicas[r.replicas.length - 1]!, w));
  return back ? Math.round(back.startMs - healed) : null;
}
