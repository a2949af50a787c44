// Every figure of a run, computed from the recorded timeline alone (request records and events).
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import type { Targets } from '../config/scenario.js';
import { faultWindows, measureFaults, type FaultFigures } from './faults.js';
import { isWellBehaved, measureClientFaults, type ClientFaultFigures } from './client-classes.js';
import type { ReadbackRecord } from '../record/records.js';
import { measureRetryAmplification } from './retry-amplification.js';
import { measureState, type StateFigures } from './state-figures.js';
import { measureDeploys, type DeployFigures } from './deploys.js';
import { answersByGroup, returnAfterHealMs, type GroupShare } from './answered-by.js';
import { availability, countRequests, latency, perSecond, type Bucket, type LatencyFigures, type RequestCounts } from './requests.js';

export interface RunMetrics extends StateFigures {
  readonly requests: RequestCounts;
  readonly availability: number;
  readonly latency: LatencyFigures;
  /** Latency of requests that overlapped any fault window. */
  readonly latencyDuringFaults: LatencyFigures;
  readonly perSecond: readonly Bucket[];
  readonly faults: readonly (FaultFigures & { readonly returnMs?: number | null })[];
  /** Share of available answers served by each route group. */
  readonly answersByGroup: readonly GroupShare[];
  /** Deployments the run started (none: empty). */
  readonly deploys: readonly DeployFigures[];
  /** Client-side faults: the misbehaving classes' figures (every other figure is the well-behaved clients'). */
  readonly clientFaults?: ClientFaultFigures;
}

export function measureRun(records: readonly RequestRecord[], events: readonly LabEvent[], targets: Targets, readback?: readonly ReadbackRecord[]): RunMetrics {
  const everyone = [...records].sort((a, b) => a.startMs - b.startMs || a.id.localeCompare(b.id));
  // misbehaving clients (client-side faults) are measured apart: every figure below is the well-behaved clients'
  const sorted = everyone.filter(isWellBehaved);
  const buckets = perSecond(sorted);
  const runEndMs = Math.max(everyone.reduce((m, r) => Math.max(m, r.endMs), 0), events.reduce((m, e) => Math.max(m, e.atMs), 0));
  const clientFigures = measureClientFaults(everyone, faultWindows(events), runEndMs);
  const clientFaults = clientFigures ? { ...clientFigures, retryAmplification: measureRetryAmplification(everyone, events) } : undefined;
  const faults = measureFaults(events, sorted, buckets, targets, runEndMs);
  const during = sorted.filter((r) => faults.some((f) => r.startMs < (f.healedAtMs ?? runEndMs) && r.endMs > f.injectedAtMs));
  return {
    requests: countRequests(sorted),
    availability: Math.round(availability(sorted) * 1e6) / 1e6,
    latency: latency(sorted),
    latencyDuringFaults: latency(during),
    perSecond: buckets,
    // heal → the faulted target serving answers again
    faults: faults.map((f) => {
      const back = returnAfterHealMs(f, sorted);
      return back === undefined ? f : { ...f, returnMs: back };
    }),
    answersByGroup: answersByGroup(sorted),
    ...measureState(events, readback),
    deploys: measureDeploys(events, sorted, targets, runEndMs),
    ...(clientFaults ? { clientFaults } : {}),
  };
}
