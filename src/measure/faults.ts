// Per-fault figures from the record: fault events (injected/healed), control-plane and gateway
// events, and client request records. Definitions are in the README ("What the figures mean").
import type { LabEvent } from '../record/events.js';
import { DETECTION_EVENTS, EV, REGION_REMOVAL_EVENTS, REMOVAL_EVENTS } from '../record/event-types.js';
import type { RequestRecord } from '../record/records.js';
import type { Targets } from '../config/scenario.js';
import { perSecond, ttftMs, type Bucket } from './requests.js';

/** Faults that take a whole region's entry point away: their failover is the GLB leaving the region. */
export const REGION_FAILOVER_KINDS: ReadonlySet<string> = new Set(['region.outage', 'region.partition', 'link.partition', 'gateway.crash']);

/** Requests ending this long after a fault heals still count toward its client impact. */
export const IMPACT_TAIL_MS = 2000;

export interface FaultWindow {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly replicas: readonly string[];
  readonly injectedAtMs: number;
  readonly healedAtMs: number | null;
}

export interface FaultFigures extends FaultWindow {
  readonly detectedAtMs: number | null;
  readonly detectionMs: number | null;
  readonly failoverMs: number | null;
  readonly rtoMs: number;
  /** Region faults: heal → the GLB sending the region's clients home again (glb.failback). */
  readonly failbackMs?: number | null;
  readonly errorSeconds: number;
  readonly requests: number;
  readonly failedRequests: number;
  readonly truncatedRequests: number;
  readonly resumedRequests: number;
  readonly wrongAnswers: number;
  readonly worstTtftMs: number | null;
}

interface FaultData {
  /** When the injector began (the event is written once it returns). */
  startedAtMs?: number;
  inEffectAtMs?: number;
  kind?: string;
  target?: string;
  replicas?: string[];
}

/** Fault windows from fault.injected / fault.healed events. */
export function faultWindows(events: readonly LabEvent[]): FaultWindow[] {
  const healed = new Map<string, number>();
  for (const e of events) if (e.type === EV.faultHealed && !healed.has(e.subject)) healed.set(e.subject, e.atMs);
  return events
    .filter((e) => e.type === EV.faultInjected)
    .map((e) => {
      const d = (e.data ?? {}) as FaultData;
      return {
        id: e.subject,
        kind: d.kind ?? 'unknown',
        target: d.target ?? '',
        replicas: d.replicas ?? [],
        // a command fault counts from when its commands started (it may act before they exit);
        // any other from when its injector started
        injectedAtMs: typeof d.inEffectAtMs === 'number' ? d.inEffectAtMs : typeof d.startedAtMs === 'number' ? Math.min(d.startedAtMs, e.atMs) : e.atMs,
        healedAtMs: healed.get(e.subject) ?? null,
      };
    });
}

/** The first event of `types` about `subject` in [fromMs, untilMs]. */
function firstAfter(events: readonly LabEvent[], types: readonly string[], subject: string, fromMs: number, untilMs = Infinity): number | undefined {
  for (const e of events) if (e.atMs >= fromMs && e.atMs <= untilMs && e.subject === subject && types.includes(e.type)) return e.atMs;
  return undefined;
}

function failbackAfter(events: readonly LabEvent[], w: FaultWindow): number | null {
  if (w.healedAtMs === null) return null;
  const left = firstAfter(events, REGION_REMOVAL_EVENTS, w.target, w.injectedAtMs);
  if (left === undefined) return null;
  const back = firstAfter(events, [EV.glbFailback], w.target, left);
  return back === undefined ? null : Math.round(Math.max(0, back - w.healedAtMs));
}

/** A bucket breaches when its availability is below the target (1 when unset) or its TTFT p99 is above the TTFT target. */
export function bucketBreaches(b: Bucket, targets: Targets): boolean {
  if (b.availability < (targets.availability ?? 1)) return true;
  return targets.ttftP99Ms !== undefined && b.ttftP99Ms !== null && b.ttftP99Ms > targets.ttftP99Ms;
}

/**
 * A bucket that straddles the next fault's injection, judged on the requests that ended before
 * it: a request still running then may have been hurt by the next fault, not by this one.
 */
function clipBucket(b: Bucket, records: readonly RequestRecord[], endMs: number): Bucket | undefined {
  return perSecond(records.filter((r) => r.startMs >= b.startMs && r.endMs <= endMs), b.startMs)[0];
}

export function measureFault(
  w: FaultWindow,
  events: readonly LabEvent[],
  records: readonly RequestRecord[],
  buckets: readonly Bucket[],
  targets: Targets,
  windowEndMs: number,
  runEndMs: number,
): FaultFigures {
  // Only what happens while the fault lasts (up to its heal + the tail) is its detection or failover.
  const impactEnd = (w.healedAtMs ?? runEndMs) + IMPACT_TAIL_MS;
  const regionLeft = REGION_FAILOVER_KINDS.has(w.kind) ? firstAfter(events, REGION_REMOVAL_EVENTS, w.target, w.injectedAtMs, impactEnd) : undefined;
  const detections = [...w.replicas.map((id) => firstAfter(events, DETECTION_EVENTS, id, w.injectedAtMs, impactEnd)), regionLeft].filter((x): x is number => x !== undefined);
  const detectedAtMs = detections.length > 0 ? Math.min(...detections) : null;
  const removals = w.replicas.map((id) => firstAfter(events, REMOVAL_EVENTS, id, w.injectedAtMs, impactEnd));
  // A region fault has failed over when the global load balancer stopped sending to the region;
  // any other fault when every affected replica has left routing.
  const failoverMs = REGION_FAILOVER_KINDS.has(w.kind)
    ? regionLeft === undefined ? null : regionLeft - w.injectedAtMs
    : w.replicas.length > 0 && removals.every((x) => x !== undefined) ? Math.max(...(removals as number[])) - w.injectedAtMs : null;
  const hit = records.filter((r) => r.startMs < impactEnd && r.endMs > w.injectedAtMs);
  const inWindow = buckets
    .filter((b) => b.startMs + 1000 > w.injectedAtMs && b.startMs < windowEndMs)
    .map((b) => (b.startMs + 1000 > windowEndMs ? clipBucket(b, records, windowEndMs) : b))
    .filter((b): b is Bucket => b !== undefined);
  const breaching = inWindow.filter((b) => bucketBreaches(b, targets));
  const last = breaching[breaching.length - 1];
  const ttfts = hit.map(ttftMs).filter((x): x is number => x !== undefined);
  return {
    ...w,
    detectedAtMs,
    detectionMs: detectedAtMs === null ? null : Math.round(detectedAtMs - w.injectedAtMs),
    failoverMs: failoverMs === null ? null : Math.round(failoverMs),
    rtoMs: last ? Math.round(Math.max(0, last.startMs + 1000 - w.injectedAtMs)) : 0,
    ...(REGION_FAILOVER_KINDS.has(w.kind) || w.kind === 'link.latency' ? { failbackMs: failbackAfter(events, w) } : {}),
    errorSeconds: Math.round(inWindow.reduce((s, b) => s + (1 - b.availability), 0) * 1000) / 1000,
    requests: hit.length,
    failedRequests: hit.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout').length,
    truncatedRequests: hit.filter((r) => r.outcome === 'truncated').length,
    resumedRequests: hit.filter((r) => r.resumes > 0).length,
    wrongAnswers: hit.filter((r) => r.outcome === 'ok' && r.correct === false).length,
    worstTtftMs: ttfts.length ? Math.round(Math.max(...ttfts)) : null,
  };
}

/** Figures for every fault; each fault's RTO window ends at the next injection or the run's end. */
export function measureFaults(events: readonly LabEvent[], records: readonly RequestRecord[], buckets: readonly Bucket[], targets: Targets, runEndMs: number): FaultFigures[] {
  const windows = faultWindows(events).sort((a, b) => a.injectedAtMs - b.injectedAtMs);
  return windows.map((w, i) => measureFault(w, events, records, buckets, targets, windows[i + 1]?.injectedAtMs ?? runEndMs, runEndMs));
}
