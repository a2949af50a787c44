// A run's report: report.json (every figure, computed from the raw records) and report.md (for
// people). `recomputeReport` rebuilds both from requests.ndjson, events.ndjson and the scenario
// copy alone, so a run directory can be re-measured later with identical figures.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HalabError } from '../core/errors.js';
import { loadScenario, scaleTargets, type Targets } from '../config/scenario.js';
import { readEvents, readReadbacks, readRecords } from '../record/record-io.js';
import type { TornLine } from '../record/ndjson.js';
import { k6ThresholdsCheck, type K6Result } from '../load/k6-exit.js';
import { evaluateTargets, type Verdict } from '../measure/checks.js';
import { measureRun, type RunMetrics } from '../measure/run-metrics.js';
import { processDeaths, type ProcessDeath } from '../measure/process-deaths.js';
import { loadTopology } from '../config/topology.js';
import { annualize, defaultFaultRates } from '../sim/annualize.js';
import { DEFAULT_FAILURE_MODEL } from '../sim/failure-model.js';
import { simTopology } from '../sim/model.js';
import { renderHtml, type AnnualEstimate } from './html.js';
import { renderJunit } from './junit.js';
import { renderMarkdown } from './markdown.js';

export interface RunMeta {
  readonly seed: number;
  readonly scenarioFile: string;
  readonly startedAtMs: number;
  readonly endedAtMs: number;
  readonly interrupted: boolean;
  readonly driver?: string;
  readonly driverNote?: string;
  /** How k6 ended, when the k6 driver ran (gives the `k6Thresholds` check). */
  readonly k6?: K6Result;
  /** Why a game day stopped early. */
  readonly aborted?: string;
  /** Lab time compression the run ran at (`--time-scale`; absent: 1): ms targets were × this. */
  readonly timeScale?: number;
}

export interface RunReport {
  readonly scenario: { readonly name: string; readonly file: string; readonly description?: string };
  readonly seed: number;
  readonly targets: Targets;
  readonly metrics: RunMetrics;
  readonly faults: RunMetrics['faults'];
  readonly deploys: RunMetrics['deploys'];
  readonly verdict: Verdict;
  readonly reproduce: string;
  readonly meta: RunMeta;
  /** Final lines of the record files cut mid-write (a crash), left out of every figure. */
  readonly tornLines?: readonly TornLine[];
  /** Lab processes that died while no fault had killed them (process.died events). */
  readonly processDeaths?: readonly ProcessDeath[];
}

export const RUN_FILES = { meta: 'meta.json', scenario: 'scenario.yaml', requests: 'requests.ndjson', events: 'events.ndjson', json: 'report.json', md: 'report.md', junit: 'junit.xml', html: 'report.html', topology: 'topology.yaml', readback: 'readback.ndjson' } as const;

/** Builds the report of a run directory from its raw files. */
export function buildRunReport(runDir: string): RunReport {
  for (const f of [RUN_FILES.meta, RUN_FILES.scenario, RUN_FILES.requests, RUN_FILES.events]) {
    if (!existsSync(join(runDir, f))) throw new HalabError('NOT_FOUND', `${join(runDir, f)} is missing: ${runDir} is not a complete run directory`);
  }
  const meta = JSON.parse(readFileSync(join(runDir, RUN_FILES.meta), 'utf8')) as RunMeta;
  const loaded = loadScenario(join(runDir, RUN_FILES.scenario));
  // a compressed run: its figures are real ms, so are its targets (the file's × the time scale)
  const scenario = { ...loaded, targets: scaleTargets(loaded.targets, meta.timeScale ?? 1) };
  const requestsFile = readRecords(join(runDir, RUN_FILES.requests));
  const eventsFile = readEvents(join(runDir, RUN_FILES.events));
  const readbackFile = join(runDir, RUN_FILES.readback);
  const readbackRead = existsSync(readbackFile) ? readReadbacks(readbackFile) : undefined;
  const records = requestsFile.records;
  const events = eventsFile.records;
  const readback = readbackRead?.records;
  const deaths = processDeaths(events);
  const tornLines = [requestsFile.torn, eventsFile.torn, readbackRead?.torn].filter((t): t is TornLine => t !== undefined);
  const metrics = measureRun(records, events, scenario.targets, readback);
  const verdict = withK6Check(evaluateTargets(scenario.targets, metrics, scenario.deploys.map((d) => d.expect)), meta.k6);
  return {
    scenario: { name: scenario.name, file: meta.scenarioFile, ...(scenario.description ? { description: scenario.description } : {}) },
    seed: meta.seed,
    targets: scenario.targets,
    metrics,
    faults: metrics.faults,
    deploys: metrics.deploys,
    verdict:
      meta.interrupted || meta.aborted
        ? { pass: false, checks: [...verdict.checks, { name: 'completed', target: 'run not interrupted or aborted', actual: 0, pass: false, detail: meta.aborted ?? 'interrupted' }] }
        : verdict,
    reproduce: `halab run ${meta.scenarioFile} --seed ${meta.seed}${meta.timeScale && meta.timeScale !== 1 ? ` --time-scale ${meta.timeScale}` : ''}`,
    meta,
    ...(tornLines.length ? { tornLines } : {}),
    ...(deaths.length ? { processDeaths: deaths } : {}),
  };
}

/** Adds the `k6Thresholds` check when k6 ran: its exit code 99 (a threshold failed) fails the verdict. */
function withK6Check(v: Verdict, k6: K6Result | undefined): Verdict {
  if (!k6) return v;
  const check = k6ThresholdsCheck(k6);
  return { pass: v.pass && check.pass, checks: [...v.checks, check] };
}

/** Writes meta.json (when given), then report.json, report.md, junit.xml and report.html from the raw files. */
export function writeRunReport(runDir: string, meta?: RunMeta): RunReport {
  if (meta) writeFileSync(join(runDir, RUN_FILES.meta), JSON.stringify(meta, null, 2) + '\n');
  const report = buildRunReport(runDir);
  writeFileSync(join(runDir, RUN_FILES.json), JSON.stringify(report, null, 2) + '\n');
  writeFileSync(join(runDir, RUN_FILES.md), renderMarkdown(report));
  writeFileSync(join(runDir, RUN_FILES.junit), renderJunit([report]));
  writeFileSync(join(runDir, RUN_FILES.html), renderHtml(report, annualEstimate(runDir, report)));
  return report;
}

/** Expected yearly downtime from this run's measured faults at the default fleet-wide rates. */
function annualEstimate(runDir: string, report: RunReport): AnnualEstimate | undefined {
  const file = join(runDir, RUN_FILES.topology);
  if (!existsSync(file) || report.faults.length === 0) return undefined;
  const topology = simTopology(loadTopology(file));
  const measured = report.faults.map((f) => ({ kind: f.kind, errorSeconds: f.errorSeconds, failedRequests: f.failedRequests, truncatedRequests: f.truncatedRequests, rtoMs: f.rtoMs }));
  return annualize(measured, defaultFaultRates(topology, DEFAULT_FAILURE_MODEL));
}

/** One paragraph for the terminal: verdict, checks, requests. */
export function formatSummary(r: RunReport): string {
  const q = r.metrics.requests;
  const lines = [
    `${r.verdict.pass ? 'PASS' : 'FAIL'}  ${r.scenario.name} (seed ${r.seed})`,
    ...timeScaleSummary(r),
    ...(r.meta.driver ? [`load driver ${r.meta.driver}${r.meta.driverNote ? `: ${r.meta.driverNote}` : ''}`] : []),
    `requests ${q.total}: ok ${q.ok}, failed ${q.failed}, truncated ${q.truncated}, timed out ${q.timedOut}, wrong ${q.wrongAnswers}, resumed ${q.resumed}; availability ${(r.metrics.availability * 100).toFixed(3)}%`,
    ...r.faults.map(
      (f) => `fault ${f.kind} on ${f.target}: detected ${f.detectionMs ?? '-'}ms, failover ${f.failoverMs ?? '-'}ms, RTO ${f.rtoMs}ms, failed ${f.failedRequests}, truncated ${f.truncatedRequests}, resumed ${f.resumedRequests}, worst TTFT ${f.worstTtftMs ?? '-'}ms`,
    ),
    ...stateSummary(r),
    ...(r.metrics.clientFaults
      ? [
          `well-behaved clients' TTFT p99 ${r.metrics.clientFaults.wellBehavedTtftP99DuringMs ?? '-'}ms during client-side faults vs ${r.metrics.clientFaults.wellBehavedTtftP99SteadyMs ?? '-'}ms steady (ratio ${r.metrics.clientFaults.ttftRatio ?? '-'})`,
          ...r.metrics.clientFaults.classes.map((c) => `clients ${c.clientClass}: ${c.requests.total} requests (${c.retries ?? 0} retries), ok ${c.requests.ok}, shed ${c.shed} (${(c.shedShare * 100).toFixed(1)}%), statuses ${JSON.stringify(c.statuses)}`),
          ...(r.metrics.clientFaults.retryAmplification ? [`retry amplification: GLB ${r.metrics.clientFaults.retryAmplification.glb}, gateways ${r.metrics.clientFaults.retryAmplification.gateway} (${r.metrics.clientFaults.retryAmplification.glbRetries} + ${r.metrics.clientFaults.retryAmplification.gatewayRetries} retries over ${r.metrics.clientFaults.retryAmplification.requests} admitted requests)`] : []),
        ]
      : []),
    ...r.deploys.map(
      (d) => `deploy ${d.strategy} ${d.fromVersion} -> ${d.version} (${d.behaviour}): ${d.outcome} in ${d.durationMs ?? '-'}ms${d.detectionMs !== null ? `, detected in ${d.detectionMs}ms` : ''}; during it failed ${d.failedRequests}, truncated ${d.truncatedRequests}, wrong ${d.wrongAnswers}, SLO-breaching ${d.sloBreachingRequests}, TTFT p99 ${d.ttftP99Ms ?? '-'}ms vs steady ${d.steadyTtftP99Ms ?? '-'}ms, new version answered ${(d.newVersionShare * 100).toFixed(1)}%`,
    ),
    ...r.verdict.checks.map((c) => `  ${c.pass ? 'ok  ' : 'MISS'} ${c.name}: ${c.actual ?? 'n/a'} (target ${c.target})${c.detail ? ` — ${c.detail}` : ''}`),
    ...(r.processDeaths ?? []).map((d) => `warning: lab process ${d.name} (pid ${d.pid}) died at +${(d.atMs / 1000).toFixed(1)}s, and no fault killed it`),
    ...(r.tornLines ?? []).map((t) => `warning: ${t.file}:${t.line}: torn final line (${t.bytes} bytes, cut mid-write) left out`),
  ];
  return lines.join('\n');
}

/** A compressed run: its scale, and its time figures in lab time too (real ms ÷ scale). */
export function timeScaleSummary(r: RunReport): string[] {
  const s = r.meta.timeScale;
  if (!s || s === 1) return [];
  const lab = (ms: number | null | undefined): string => (ms === null || ms === undefined ? '-' : `${Math.round(ms / s)}ms`);
  const figures = [
    ['TTFT p99', r.metrics.latency.ttftMs.p99],
    ...r.faults.flatMap((f) => [[`${f.kind} detection`, f.detectionMs], [`${f.kind} failover`, f.failoverMs], [`${f.kind} RTO`, f.rtoMs]] as const),
    ...r.deploys.map((d) => [`deploy ${d.strategy} duration`, d.durationMs] as const),
  ] as const;
  return [
    `time scale ${s}: lab time ran ${(1 / s).toFixed(2)}× faster than real time (stand-in timing, intervals, timers, fault times, load rate ${'×'} ${(1 / s).toFixed(2)}); every ms figure and target here is real ms; in lab time (÷ ${s}): ${figures.map(([n, v]) => `${n} ${lab(v)}`).join(', ')}`,
  ];
}

/** Summary lines of the durable-state figures, when the run has any. */
function stateSummary(r: RunReport): string[] {
  const m = r.metrics;
  const lines: string[] = [];
  if (m.leaderChangeMs !== undefined) lines.push(`control-plane leader change: ${m.leaderChangeMs ?? 'never'}ms (${(m.leaderChanges ?? []).map((c) => `${c.faultId} → ${c.newLeader ?? 'none'}`).join(', ')})`);
  if (m.restoreMs !== undefined) lines.push(`restore from backup: ${m.restoreMs ?? 'did not finish'}ms (disaster → restored control plane serving)`);
  if (m.storedWrites) {
    const w = m.storedWrites;
    lines.push(`stored writes: ${w.acknowledged} acknowledged, ${w.readBack} read back from ${w.readFrom}, ${m.lostWrites} lost; RPO ${m.rpoMs}ms`);
    for (const l of w.lost.slice(0, 20)) lines.push(`  lost ${l.storedId} (${l.requestId}, written in ${l.writtenIn ?? '?'}, acknowledged ${l.beforeFailureMs ?? '?'}ms before the failure)`);
    if (w.lost.length > 20) lines.push(`  … and ${w.lost.length - 20} more (report.json metrics.storedWrites.lost)`);
  }
  return lines;
}
