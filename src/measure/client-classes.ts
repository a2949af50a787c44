// Client-side faults in the record: requests from misbehaving client classes (load.* faults) are
// measured apart from the well-behaved clients', and the well-behaved clients' TTFT during those
// faults is compared with their TTFT outside every fault window (steady state).
import type { RequestRecord } from '../record/records.js';
import { percentiles, type Percentiles } from '../core/stats.js';
import { countRequests, ttftMs, type RequestCounts } from './requests.js';
import type { FaultWindow } from './faults.js';
import type { RetryAmplification } from './retry-amplification.js';

export interface ClientClassFigures {
  /** The client-side fault kind whose clients sent these requests. */
  readonly clientClass: string;
  readonly requests: RequestCounts;
  /** Requests answered 429 (shed by the service). */
  readonly shed: number;
  /** shed ÷ requests. */
  readonly shedShare: number;
  /**
   * Requests that were a client's resend of a failed one (a load.retry-storm client's retries; their
   * record id is `<fault id>.<n>.<attempt>`): how hard the storm blew.
   */
  readonly retries: number;
  /** Responses by HTTP status ("none": no status, e.g. a connection error). */
  readonly statuses: Readonly<Record<string, number>>;
  readonly ttftMs: Percentiles;
}

export interface ClientFaultFigures {
  readonly classes: readonly ClientClassFigures[];
  /** Well-behaved clients' TTFT p99 for requests overlapping a client-side fault window. */
  readonly wellBehavedTtftP99DuringMs: number | null;
  /** Well-behaved clients' TTFT p99 for requests overlapping no fault window. */
  readonly wellBehavedTtftP99SteadyMs: number | null;
  /** during ÷ steady (null when either is missing). */
  readonly ttftRatio: number | null;
  /** Retries the serving path added to the load of every client (src/measure/retry-amplification.ts). */
  readonly retryAmplification?: RetryAmplification;
}

export function isWellBehaved(r: RequestRecord): boolean {
  return r.clientClass === undefined;
}

function classFigures(clientClass: string, records: readonly RequestRecord[]): ClientClassFigures {
  const statuses: Record<string, number> = {};
  for (const r of records) {
    const key = r.status === undefined ? 'none' : String(r.status);
    statuses[key] = (statuses[key] ?? 0) + 1;
  }
  const shed = statuses['429'] ?? 0;
  const resend = new RegExp(`${clientClass.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.\\d+\\.\\d+$`);
  return {
    clientClass,
    requests: countRequests(records),
    shed,
    retries: records.filter((r) => resend.test(r.id)).length,
    shedShare: records.length ? Math.round((shed / records.length) * 1e4) / 1e4 : 0,
    statuses,
    ttftMs: percentiles(records.map(ttftMs).filter((x): x is number => x !== undefined)),
  };
}

/** Undefined when no client-side fault ran (no record has a client class, no window is a load.* fault). */
export function measureClientFaults(records: readonly RequestRecord[], windows: readonly FaultWindow[], runEndMs: number): ClientFaultFigures | undefined {
  const clientWindows = windows.filter((w) => w.target === 'clients');
  const misbehaving = records.filter((r) => !isWellBehaved(r));
  if (clientWindows.length === 0 && misbehaving.length === 0) return undefined;
  const byClass = new Map<string, RequestRecord[]>();
  for (const r of misbehaving) byClass.set(r.clientClass!, [...(byClass.get(r.clientClass!) ?? []), r]);
  const overlaps = (r: RequestRecord, w: FaultWindow) => r.startMs < (w.healedAtMs ?? runEndMs) && r.endMs > w.injectedAtMs;
  const good = records.filter(isWellBehaved);
  const p99 = (rs: readonly RequestRecord[]) => percentiles(rs.map(ttftMs).filter((x): x is number => x !== undefined)).p99;
  const during = p99(good.filter((r) => clientWindows.some((w) => overlaps(r, w))));
  const steady = p99(good.filter((r) => !windows.some((w) => overlaps(r, w))));
  return {
    classes: [...byClass.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([c, rs]) => classFigures(c, rs)),
    wellBehavedTtftP99DuringMs: during,
    wellBehavedTtftP99SteadyMs: steady,
    ttftRatio: during !== null && steady !== null && steady > 0 ? Math.round((during / steady) * 100) / 100 : null,
  };
}
