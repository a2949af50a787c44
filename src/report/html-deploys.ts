// The deployments part of report.html: a table of every deployment with its client impact, and
// each deployment's timeline of steps. Plain HTML, no script.
import type { RunReport } from './run-report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v} ms`);

function table(head: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows.map((r) => `<tr>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`).join('')}</tbody></table>`;
}

/** Deploy windows for the timeline charts. */
export function deployWindows(r: RunReport): { startedAtMs: number; endedAtMs: number | null; label: string }[] {
  return (r.deploys ?? []).map((d) => ({ startedAtMs: d.startedAtMs, endedAtMs: d.endedAtMs, label: `${d.strategy} ${d.version}: ${d.outcome}` }));
}

export function renderDeploysHtml(r: RunReport): string {
  const ds = r.deploys ?? [];
  if (ds.length === 0) return '';
  const rows = ds.map((d) => [
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
    `${ms(d.ttftP99Ms)} (steady ${ms(d.steadyTtftP99Ms)})`,
  ]);
  const timelines = ds
    .map(
      (d) =>
        `<h3>Timeline of ${esc(d.deployId)}</h3><p>Outcome: <strong>${esc(d.outcome)}</strong>${d.reason ? ` — ${esc(d.reason)}` : ''}</p>` +
        table(['+ms', 'step', 'subject', 'detail'], d.timeline.filter((s) => s.type !== 'deploy.weights').map((s) => [s.atMs, s.type.replace(/^deploy\./, ''), s.subject, s.reason ?? ''])),
    )
    .join('\n');
  return `<h2>Deployments</h2>\n${table(['deployment', 'strategy', 'from → to', 'outcome', 'duration', 'detection', 'requests', 'failed', 'truncated', 'wrong', 'SLO-breaching', 'new version share', 'TTFT p99'], rows)}\n${timelines}\n`;
}
