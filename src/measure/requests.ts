// Request-level figures from client records only. A request is *available* when it ended `ok` and
// its answer was not wrong (a wrong answer is served but not available).
import type { RequestRecord } from '../record/records.js';
import { percentiles, type Percentiles } from '../core/stats.js';

export interface RequestCounts {
  readonly total: number;
  readonly ok: number;
  /** Error status, connection error, or an explicit in-band error. */
  readonly failed: number;
  /** Ended early without an error: the answer looked complete and was not. */
  readonly truncated: number;
  readonly timedOut: number;
  /** Ended ok, but the text differed from the expected deterministic answer. */
  readonly wrongAnswers: number;
  /** Continued on another replica mid-stream at least once. */
  readonly resumed: number;
  readonly available: number;
}

export function isAvailable(r: RequestRecord): boolean {
  return r.outcome === 'ok' && r.correct !== false;
}

export function ttftMs(r: RequestRecord): number | undefined {
  return r.firstTokenMs === undefined ? undefined : r.firstTokenMs - r.startMs;
}

export function countRequests(records: readonly RequestRecord[]): RequestCounts {
  const c = { total: 0, ok: 0, failed: 0, truncated: 0, timedOut: 0, wrongAnswers: 0, resumed: 0, available: 0 };
  for (const r of records) {
    c.total += 1;
    if (r.outcome === 'ok') c.ok += 1;
    else if (r.outcome === 'failed') c.failed += 1;
    else if (r.outcome === 'truncated') c.truncated += 1;
    else c.timedOut += 1;
    if (r.outcome === 'ok' && r.correct === false) c.wrongAnswers += 1;
    if (r.resumes > 0) c.resumed += 1;
    if (isAvailable(r)) c.available += 1;
  }
  return c;
}

/** available / total; 1 when there were no requests. */
export function availability(records: readonly RequestRecord[]): number {
  if (records.length === 0) return 1;
  return records.filter(isAvailable).length / records.length;
}

export interface Bucket {
  /** Seconds since the first request. */
  readonly second: number;
  readonly startMs: number;
  readonly total: number;
  readonly available: number;
  readonly availability: number;
  readonly ttftP99Ms: number | null;
}

/** One bucket per second of request start time, from the first request to the last. */
export function perSecond(records: readonly RequestRecord[], originMs?: number): Bucket[] {
  if (records.length === 0) return [];
  const origin = originMs ?? records.reduce((m, r) => Math.min(m, r.startMs), Infinity);
  const groups = new Map<number, RequestRecord[]>();
  for (const r of records) {
    const s = Math.floor((r.startMs - origin) / 1000);
    const g = groups.get(s);
    if (g) g.push(r);
    else groups.set(s, [r]);
  }
  return [...groups.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([second, rs]) => {
      const available = rs.filter(isAvailable).length;
      return {
        second,
        startMs: origin + second * 1000,
        total: rs.length,
        available,
        availability: available / rs.length,
        ttftP99Ms: percentiles(rs.map(ttftMs).filter((x): x is number => x !== undefined)).p99,
      };
    });
}

export interface LatencyFigures {
  readonly ttftMs: Percentiles;
  readonly interTokenMs: Percentiles;
  readonly e2eMs: Percentiles;
}

export function latency(records: readonly RequestRecord[]): LatencyFigures {
  return {
    ttftMs: percentiles(records.map(ttftMs).filter((x): x is number => x !== undefined)),
    interTokenMs: percentiles(records.flatMap((r) => r.tokenGapsMs ?? [])),
    e2eMs: percentiles(records.filter((r) => r.outcome === 'ok').map((r) => r.endMs - r.startMs)),
  };
}
