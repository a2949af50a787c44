// Figures of durable state, from the record alone: leader change time after
// controlplane.kill-leader, restore time after controlplane.disaster, and the RPO of stored
// completions after a region is lost — every acknowledged write read back from the surviving
// region; RPO = the failure (first region.state-loss/region.outage injection) − the
// acknowledgement of the first write that was lost (0 when none was), every lost write listed.
import type { LabEvent } from '../record/events.js';
import { EV } from '../record/event-types.js';
import type { ReadbackRecord } from '../record/records.js';

export interface LostWrite {
  readonly requestId: string;
  readonly storedId: string;
  readonly writtenIn?: string;
  readonly ackedAtMs: number;
  /** Acknowledged this long before the failure (negative: after it). */
  readonly beforeFailureMs: number | null;
}

export interface StateFigures {
  /** Worst controlplane.kill-leader → next leader elected, ms; null when no new leader came. */
  readonly leaderChangeMs?: number | null;
  readonly leaderChanges?: readonly { readonly faultId: string; readonly newLeader: string | null; readonly ms: number | null }[];
  /** Worst controlplane.disaster → controlplane.restored, ms; null when the restore did not finish. */
  readonly restoreMs?: number | null;
  readonly rpoMs?: number;
  readonly lostWrites?: number;
  readonly storedWrites?: {
    readonly acknowledged: number;
    readonly readBack: number;
    readonly readFrom: string;
    readonly failureAtMs: number | null;
    readonly lost: readonly LostWrite[];
  };
}

function injections(events: readonly LabEvent[], kinds: readonly string[]): LabEvent[] {
  return events.filter((e) => e.type === EV.faultInjected && kinds.includes(String(e.data?.kind))).sort((a, b) => a.atMs - b.atMs);
}

export function measureState(events: readonly LabEvent[], readback: readonly ReadbackRecord[] | undefined): StateFigures {
  const out: { -readonly [K in keyof StateFigures]: StateFigures[K] } = {};
  const kills = injections(events, ['controlplane.kill-leader']);
  if (kills.length > 0) {
    const changes = kills.map((k) => {
      const next = events.find((e) => e.type === EV.leaderElected && e.atMs > k.atMs);
      return { faultId: k.subject, newLeader: next?.subject ?? null, ms: next ? Math.round(next.atMs - k.atMs) : null };
    });
    out.leaderChanges = changes;
    out.leaderChangeMs = changes.some((c) => c.ms === null) ? null : Math.max(...changes.map((c) => c.ms!));
  }
  const disasters = injections(events, ['controlplane.disaster']);
  if (disasters.length > 0) {
    const times = disasters.map((d) => {
      const done = events.find((e) => e.type === EV.restored && e.atMs > d.atMs);
      return done ? Math.round(done.atMs - d.atMs) : null;
    });
    out.restoreMs = times.some((t) => t === null) ? null : Math.max(...(times as number[]));
  }
  if (readback) {
    const failure = injections(events, ['region.state-loss', 'region.outage'])[0];
    const failureAtMs = failure?.atMs ?? null;
    const lost = readback
      .filter((r) => !r.found)
      .map((r) => ({ requestId: r.requestId, storedId: r.storedId, ...(r.writtenIn ? { writtenIn: r.writtenIn } : {}), ackedAtMs: r.ackedAtMs, beforeFailureMs: failureAtMs === null ? null : Math.round(failureAtMs - r.ackedAtMs) }))
      .sort((a, b) => a.ackedAtMs - b.ackedAtMs);
    const first = lost[0];
    out.rpoMs = first ? Math.max(0, Math.round((failureAtMs ?? first.ackedAtMs) - first.ackedAtMs)) : 0;
    out.lostWrites = lost.length;
    out.storedWrites = { acknowledged: readback.length, readBack: readback.filter((r) => r.found).length, readFrom: readback[0]?.readFrom ?? '', failureAtMs, lost };
  }
  return out;
}
