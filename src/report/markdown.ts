// report.md: the run for people — verdict first, then checks, requests, faults and latency.
import type { RunReport } from './run-report.js';
import { stateMarkdown } from './markdown-state.js';
import { clientsMarkdown } from './markdown-clients.js';

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v} ms`);

function table(header: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return [`| ${header.join(' | ')} |`, `| ${header.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

export function renderMarkdown(r: RunReport): string {
  const q = r.metrics.requests;
  const l = r.metrics.latency;
  const lf = r.metrics.latencyDuringFaults;
  return [
    `# ${r.scenario.name}: ${r.verdict.pass ? 'PASS' : 'FAIL'}`,
    '',
    r.scenario.description ?? '',
    '',
    `Seed ${r.seed}. Reproduce with \`${r.reproduce}\`.${r.meta.interrupted ? ' **The run was interrupted.**' : ''}`,
    '',
    ...(r.meta.driver ? [`Load driver: **${r.meta.driver}**${r.meta.driverNote ? ` — ${r.meta.driverNote}` : ''}.`, ''] : []),
    '## Targets',
    '',
    table(['check', 'target', 'actual', 'result'], r.verdict.checks.map((c) => [c.name, c.target, c.actual ?? 'n/a', c.pass ? 'pass' : `**FAIL**${c.detail ? ` (${c.detail})` : ''}`])),
    '',
    '## Requests',
    '',
    table(
      ['total', 'ok', 'failed', 'truncated', 'timed out', 'wrong answers', 'resumed mid-stream', 'availability'],
      [[q.total, q.ok, q.failed, q.truncated, q.timedOut, q.wrongAnswers, q.resumed, `${(r.metrics.availability * 100).toFixed(4)}%`]],
    ),
    '',
    '## Faults',
    '',
    r.faults.length === 0
      ? 'No faults were injected.'
      : table(
          ['fault', 'target', 'detection', 'failover', 'RTO', 'back on target', 'failed', 'truncated', 'resumed', 'wrong', 'worst TTFT', 'error-seconds'],
          r.faults.map((f) => [f.kind, f.target, ms(f.detectionMs), ms(f.failoverMs), ms(f.rtoMs), f.returnMs === undefined ? 'n/a' : f.returnMs === null ? 'never' : ms(f.returnMs), f.failedRequests, f.truncatedRequests, f.resumedRequests, f.wrongAnswers, ms(f.worstTtftMs), f.errorSeconds]),
        ),
    '',
    ...(r.processDeaths?.length
      ? ['## Lab processes that died', '', 'No fault killed these (a crash, an OOM kill, a stray signal):', '', table(['process', 'pid', 'kind', 'at'], r.processDeaths.map((d) => [d.name, d.pid, d.kind, ms(d.atMs)])), '']
      : []),
    ...(r.metrics.answersByGroup?.length
      ? ['## Answers by route group', '', table(['group', 'model', 'answers', 'share'], r.metrics.answersByGroup.map((g) => [g.group, g.model ?? '', g.answers, `${(g.share * 100).toFixed(2)}%`])), '']
      : []),
    ...clientsMarkdown(r),
    ...stateMarkdown(r),
    ...renderDeploys(r),
    '## Latency',
    '',
    table(
      ['', 'p50', 'p90', 'p99', 'max'],
      [
        ['time to first token', ms(l.ttftMs.p50), ms(l.ttftMs.p90), ms(l.ttftMs.p99), ms(l.ttftMs.max)],
        ['TTFT during faults', ms(lf.ttftMs.p50), ms(lf.ttftMs.p90), ms(lf.ttftMs.p99), ms(lf.ttftMs.max)],
        ['inter-token latency', ms(l.interTokenMs.p50), ms(l.interTokenMs.p90), ms(l.interTokenMs.p99), ms(l.interTokenMs.max)],
        ['end to end (ok)', ms(l.e2eMs.p50), ms(l.e2eMs.p90), ms(l.e2eMs.p99), ms(l.e2eMs.max)],
      ],
    ),
    '',
  ].join('\n');
}

/** Columns of the deployments table (markdown and HTML). */
export const DEPLOY_COLUMNS = ['deployment', 'strategy', 'from → to', 'outcome', 'duration', 'detection', 'requests', 'failed', 'truncated', 'wrong', 'SLO-breaching', 'new version share', 'TTFT p99 (steady)'] as const;

/** One deployment as a row of DEPLOY_COLUMNS. */
export function deployRow(d: RunReport['deploys'][number]): (string | number)[] {
  return [
    d.deployId,
    d.strategy,
    `${d.fromVersion} → ${d.version}${d.behaviour !== 'ok' ? ` (${d.behaviour})` : ''}`,
    d.outcome,
    ms(d.durationMs),
    ms(d.detectionMs),
    d.requests,
    d.failedRequests,
    d.truncatedRequests,
    d.wrongAnswers,
    d.sloBreachingRequests,
    `${(d.newVersionShare * 100).toFixed(1)}%`,
    `${ms(d.ttftP99Ms)} (${ms(d.steadyTtftP99Ms)})`,
  ];
}

function renderDeploys(r: RunReport): string[] {
  if (r.deploys.length === 0) return [];
  const out = [
    '## Deployments',
    '',
    table(
      [...DEPLOY_COLUMNS],
      r.deploys.map(deployRow),
    ),
    '',
  ];
  for (const d of r.deploys) {
    out.push(`### Timeline of ${d.deployId}`, '', d.reason ? `Outcome: **${d.outcome}** — ${d.reason}` : `Outcome: **${d.outcome}**`, '');
    out.push(table(['+ms', 'step', 'subject', 'detail'], d.timeline.filter((s) => s.type !== 'deploy.weights').map((s) => [s.atMs, s.type.replace(/^deploy\./, ''), s.subject, (s.reason ?? '').replace(/\|/g, '/')])), '');
  }
  const versions = Object.entries(r.deploys[r.deploys.length - 1]!.finalVersions);
  out.push(`Replica versions at the end of the run: ${versions.map(([id, v]) => `${id} ${v}`).join(', ') || 'none recorded'}.`, '');
  return out;
}
