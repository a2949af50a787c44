// Known regressions applied to a real run's records, for measuring the gate's power: slower first
// tokens, a slower failover, one failed request, a slower deployment. Each returns new arrays and
// leaves its input alone; a run directory re-measured after one shows exactly that regression.
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';

export interface RunRecords {
  readonly records: readonly RequestRecord[];
  readonly events: readonly LabEvent[];
}

/** Every time to first token × factor (the rest of each answer shifted after it). */
export function scaleTtft({ records, events }: RunRecords, factor: number): RunRecords {
  return {
    events,
    records: records.map((r) => {
      if (r.firstTokenMs === undefined) return r;
      const delta = (r.firstTokenMs - r.startMs) * (factor - 1);
      return { ...r, firstTokenMs: r.firstTokenMs + delta, endMs: r.endMs + delta };
    }),
  };
}

const ROUTING_EXIT = new Set(['routing.removed', 'passive.eject', 'glb.region-unhealthy', 'glb.eject']);

/**
 * Every fault's failover `addMs` later: each event that takes an affected replica (or region) out
 * of routing after the injection moves by addMs. Detection events stay where they were.
 */
export function delayFailover({ records, events }: RunRecords, addMs: number): RunRecords {
  const injections = events.filter((e) => e.type === 'fault.injected');
  const affected = (e: LabEvent): boolean =>
    injections.some((f) => {
      const replicas = Array.isArray(f.data?.replicas) ? (f.data.replicas as string[]) : [];
      const region = typeof f.data?.target === 'string' ? f.data.target : undefined;
      // the injection counts from when its injector started, as the measurement does (faultWindows)
      const from = typeof f.data?.inEffectAtMs === 'number' ? f.data.inEffectAtMs : typeof f.data?.startedAtMs === 'number' ? Math.min(f.data.startedAtMs, f.atMs) : f.atMs;
      return e.atMs >= from && (replicas.includes(e.subject) || (region !== undefined && e.subject === region));
    });
  return { records, events: events.map((e) => (ROUTING_EXIT.has(e.type) && affected(e) ? { ...e, atMs: e.atMs + addMs } : e)).sort((a, b) => a.atMs - b.atMs) };
}

/** The ok request nearest the middle of the run fails (a 503 from the gateway). */
export function failOneRequest({ records, events }: RunRecords): RunRecords {
  const ok = records.filter((r) => r.outcome === 'ok');
  const victim = ok[Math.floor(ok.length / 2)];
  if (!victim) return { records, events };
  return { events, records: records.map((r) => (r === victim ? { ...r, outcome: 'failed' as const, status: 503, reason: 'injected regression' } : r)) };
}

/** Every deployment's control-plane timeline stretched by `factor` from its start (duration × factor). */
export function stretchDeploys({ records, events }: RunRecords, factor: number): RunRecords {
  const starts = new Map(events.filter((e) => e.type === 'deploy.started' && e.source === 'controlplane').map((e) => [e.subject, e.atMs]));
  return {
    records,
    events: events
      .map((e) => {
        const id = e.data?.deployId;
        const start = typeof id === 'string' && e.source === 'controlplane' && e.type.startsWith('deploy.') ? starts.get(id) : undefined;
        return start === undefined ? e : { ...e, atMs: start + (e.atMs - start) * factor };
      })
      .sort((a, b) => a.atMs - b.atMs),
  };
}
