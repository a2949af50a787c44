// The deployments part of report.html: a table of every deployment with its client impact, and
// each deployment's timeline of steps. Plain HTML, no script.
import type { RunReport } from './run-report.js';
import { DEPLOY_COLUMNS, deployRow } from './markdown.js';
import { esc, table } from './html-parts.js';

/** Deploy windows for the timeline charts. */
export function deployWindows(r: RunReport): { startedAtMs: number; endedAtMs: number | null; label: string }[] {
  return (r.deploys ?? []).map((d) => ({ startedAtMs: d.startedAtMs, endedAtMs: d.endedAtMs, label: `${d.strategy} ${d.version}: ${d.outcome}` }));
}

export function renderDeploysHtml(r: RunReport): string {
  const ds = r.deploys ?? [];
  if (ds.length === 0) return '';
  const rows = ds.map(deployRow);
  const timelines = ds
    .map(
      (d) =>
        `<h3>Timeline of ${esc(d.deployId)}</h3><p>Outcome: <strong>${esc(d.outcome)}</strong>${d.reason ? ` — ${esc(d.reason)}` : ''}</p>` +
        table(['+ms', 'step', 'subject', 'detail'], d.timeline.filter((s) => s.type !== 'deploy.weights').map((s) => [s.atMs, s.type.replace(/^deploy\./, ''), s.subject, s.reason ?? ''])),
    )
    .join('\n');
  return `<h2>Deployments</h2>\n${table([...DEPLOY_COLUMNS], rows)}\n${timelines}\n`;
}
