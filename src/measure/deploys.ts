// Per-deployment figures from the record: the deploy timeline (every deploy.* event of the
// control plane), the outcome, the detection time of a bad version, the final version of every
// replica, and the client impact during the deployment (failed, truncated, wrong and
// SLO-breaching requests; TTFT p99 against steady state; the share answered by the new version).
import type { LabEvent } from '../record/events.js';
import type { RequestRecord } from '../record/records.js';
import type { Targets } from '../config/scenario.js';
import { ttftMs } from './requests.js';
import { percentiles } from '../core/stats.js';

export interface DeployTimelineStep {
  /** Milliseconds since the deployment started. */
  readonly atMs: number;
  readonly type: string;
  readonly subject: string;
  readonly reason?: string;
}

export interface DeployFigures {
  readonly deployId: string;
  readonly strategy: string;
  readonly version: string;
  readonly fromVersion: string;
  readonly behaviour: string;
  /** succeeded | rolled-back | failed | unfinished */
  readonly outcome: string;
  readonly reason: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number | null;
  readonly durationMs: number | null;
  /** Bad version taking traffic (canary live, first traffic step, or the start) → rollback decided. */
  readonly detectionMs: number | null;
  readonly canaryShare: number | null;
  readonly requests: number;
  readonly failedRequests: number;
  readonly truncatedRequests: number;
  readonly wrongAnswers: number;
  readonly resumedRequests: number;
  /** Not ok, or a time to first token above the scenario's ttftP99 target (when it sets one). */
  readonly sloBreachingRequests: number;
  /** Share of the deployment's requests answered by the new version. */
  readonly newVersionShare: number;
  readonly ttftP99Ms: number | null;
  readonly steadyTtftP99Ms: number | null;
  readonly ttftRatio: number | null;
  /** Version each replica ended on (last model load in the record); retired replicas left out. */
  readonly finalVersions: Readonly<Record<string, string>>;
  readonly timeline: readonly DeployTimelineStep[];
}

const END_TYPES = new Set(['deploy.succeeded', 'deploy.rolled-back', 'deploy.failed']);

function deployIdOf(e: LabEvent): string | undefined {
  const id = e.data?.deployId;
  return typeof id === 'string' ? id : undefined;
}

/** Windows [start, end] of every deployment and fault, for the steady-state sample. */
function busyWindows(events: readonly LabEvent[], runEndMs: number): [number, number][] {
  const out: [number, number][] = [];
  const ends = new Map<string, number>();
  for (const e of events) if ((END_TYPES.has(e.type) || e.type === 'fault.healed') && !ends.has(e.subject)) ends.set(e.subject, e.atMs);
  for (const e of events) if ((e.type === 'deploy.started' && e.source === 'controlplane') || e.type === 'fault.injected') out.push([e.atMs, ends.get(e.subject) ?? runEndMs]);
  return out;
}

/** Last loaded version per replica, from the replicas' own model.loaded events; retired ones dropped. */
export function finalVersions(events: readonly LabEvent[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of events) {
    if (e.type === 'model.loaded' && e.source.startsWith('replica/') && typeof e.data?.version === 'string') out[e.subject] = e.data.version;
    if (e.type === 'deploy.replica-retired') delete out[e.subject];
  }
  return out;
}

export function measureDeploys(events: readonly LabEvent[], records: readonly RequestRecord[], targets: Targets, runEndMs: number): DeployFigures[] {
  const starts = events.filter((e) => e.type === 'deploy.started' && e.source === 'controlplane');
  const busy = busyWindows(events, runEndMs);
  const steady = records.filter((r) => !busy.some(([a, b]) => r.startMs < b && r.endMs > a));
  const steadyP99 = percentiles(steady.map(ttftMs).filter((x): x is number => x !== undefined)).p99;
  const versions = finalVersions(events);
  return starts.map((s) => {
    const id = s.subject;
    const mine = events.filter((e) => e.source === 'controlplane' && e.type.startsWith('deploy.') && deployIdOf(e) === id);
    const end = mine.find((e) => END_TYPES.has(e.type));
    const endMs = end?.atMs ?? null;
    const cfg = (s.data?.config ?? {}) as { canaryShare?: number };
    const strategy = String(s.data?.strategy ?? '');
    const version = String(s.data?.version ?? '');
    const live = mine.find((e) => e.type === 'deploy.canary-live' || (e.type === 'deploy.traffic-shifted' && Number(e.data?.share) > 0));
    const decided = mine.find((e) => e.type === 'deploy.rollback-decided' || e.type === 'deploy.rollback-started');
    const windowEnd = endMs ?? runEndMs;
    const hit = records.filter((r) => r.startMs < windowEnd && r.endMs > s.atMs);
    const ttfts = hit.map(ttftMs).filter((x): x is number => x !== undefined);
    const p99 = percentiles(ttfts).p99;
    const limit = targets.ttftP99Ms;
    return {
      deployId: id,
      strategy,
      version,
      fromVersion: String(s.data?.fromVersion ?? ''),
      behaviour: String(s.data?.behaviour ?? 'ok'),
      outcome: end ? end.type.replace('deploy.', '') : 'unfinished',
      reason: end?.reason ?? '',
      startedAtMs: s.atMs,
      endedAtMs: endMs,
      durationMs: endMs === null ? null : Math.round(endMs - s.atMs),
      detectionMs: decided ? Math.round(decided.atMs - (live && live.atMs <= decided.atMs ? live.atMs : s.atMs)) : null,
      canaryShare: strategy === 'canary' && typeof cfg.canaryShare === 'number' ? cfg.canaryShare : null,
      requests: hit.length,
      failedRequests: hit.filter((r) => r.outcome === 'failed' || r.outcome === 'timeout').length,
      truncatedRequests: hit.filter((r) => r.outcome === 'truncated').length,
      wrongAnswers: hit.filter((r) => r.outcome === 'ok' && r.correct === false).length,
      resumedRequests: hit.filter((r) => r.resumes > 0).length,
      sloBreachingRequests: hit.filter((r) => r.outcome !== 'ok' || r.correct === false || (limit !== undefined && (ttftMs(r) ?? Infinity) > limit)).length,
      newVersionShare: hit.length ? Math.round((hit.filter((r) => r.modelVersion === version).length / hit.length) * 10_000) / 10_000 : 0,
      ttftP99Ms: p99,
      steadyTtftP99Ms: steadyP99,
      ttftRatio: p99 !== null && steadyP99 ? Math.round((p99 / steadyP99) * 100) / 100 : null,
      finalVersions: versions,
      timeline: mine.map((e) => ({ atMs: Math.round(e.atMs - s.atMs), type: e.type, subject: e.subject, ...(e.reason ? { reason: e.reason } : {}) })),
    };
  });
}
