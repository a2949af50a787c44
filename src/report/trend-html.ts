// `halab trend`: one self-contained HTML page of how each gated metric moved across runs (nightly
// runs, say): per scenario, one inline-SVG chart per metric with the runs in order, the baseline
// band (baseline value → the gate's limit) and each run's gate verdict. No external assets; a
// tiny inline script marks each chart drawn once the browser has laid out its line.
import type { GateResult } from './gate.js';

export interface TrendRun {
  /** Label of the run on the x axis (its directory name). */
  readonly label: string;
  readonly startedAtMs: number;
  readonly gate: GateResult;
}

export interface TrendScenario {
  readonly scenario: string;
  readonly baselineFile: string | null;
  readonly runs: readonly TrendRun[];
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number): string => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 1 ? v.toFixed(1) : v.toFixed(3));

const W = 560;
const H = 180;
const PAD = { left: 56, right: 12, top: 14, bottom: 34 };

/** One metric's chart: a line through the runs' values, the baseline band, a dot per run coloured by verdict. */
function chart(metric: string, runs: readonly TrendRun[]): string {
  const rows = runs.map((r) => r.gate.rows.find((x) => x.metric === metric));
  const values = rows.map((r) => r?.now ?? null);
  const base = rows.find((r) => r?.baseline !== null && r?.baseline !== undefined)?.baseline ?? null;
  const limit = rows.find((r) => r?.limit !== null && r?.limit !== undefined)?.limit ?? null;
  const all = [...values, base, limit].filter((v): v is number => v !== null);
  if (all.length === 0) return '';
  const lo = Math.min(0, ...all);
  const hi = Math.max(...all) * 1.1 || 1;
  const x = (i: number): number => PAD.left + (runs.length === 1 ? (W - PAD.left - PAD.right) / 2 : (i * (W - PAD.left - PAD.right)) / (runs.length - 1));
  const y = (v: number): number => PAD.top + (1 - (v - lo) / (hi - lo)) * (H - PAD.top - PAD.bottom);
  const band =
    base !== null
      ? `<rect class="band" x="${PAD.left}" y="${y(limit ?? base).toFixed(1)}" width="${W - PAD.left - PAD.right}" height="${Math.max(1, y(base) - y(limit ?? base)).toFixed(1)}"><title>baseline ${fmt(base)}${limit !== null ? ` … limit ${fmt(limit)}` : ''}</title></rect>` +
        `<line class="baseline" x1="${PAD.left}" x2="${W - PAD.right}" y1="${y(base).toFixed(1)}" y2="${y(base).toFixed(1)}"/>`
      : '';
  const pts = values.map((v, i) => (v === null ? null : `${x(i).toFixed(1)},${y(v).toFixed(1)}`)).filter((p): p is string => p !== null);
  const dots = values
    .map((v, i) => {
      const row = rows[i];
      const cls = row ? (row.pass ? 'pass' : 'fail') : 'none';
      const cy = v === null ? H - PAD.bottom : y(v);
      return `<circle class="dot ${cls}" cx="${x(i).toFixed(1)}" cy="${cy.toFixed(1)}" r="4"><title>${esc(runs[i]!.label)}: ${v === null ? 'not measured' : fmt(v)} — ${row ? (row.pass ? 'ok' : 'REGRESSED') : 'not gated'}</title></circle>`;
    })
    .join('');
  const ticks = [lo, (lo + hi) / 2, hi].map((t) => `<text class="tick" x="${PAD.left - 6}" y="${(y(t) + 4).toFixed(1)}" text-anchor="end">${fmt(t)}</text>`).join('');
  const labels = runs.map((r, i) => `<text class="tick" x="${x(i).toFixed(1)}" y="${H - PAD.bottom + 16}" text-anchor="middle">${i + 1}</text>`).join('');
  const failing = rows.filter((r) => r && !r.pass).length;
  return `<figure class="metric"><figcaption>${esc(metric)} <span class="${failing ? 'fail' : 'pass'}">${failing ? `${failing} regressed` : 'ok'}</span></figcaption>
<svg class="chart" data-metric="${esc(metric)}" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(metric)} across runs">
<line class="axis" x1="${PAD.left}" x2="${PAD.left}" y1="${PAD.top}" y2="${H - PAD.bottom}"/><line class="axis" x1="${PAD.left}" x2="${W - PAD.right}" y1="${H - PAD.bottom}" y2="${H - PAD.bottom}"/>
${band}${ticks}${labels}<polyline class="series" data-points="${pts.length}" points="${pts.join(' ')}"/>${dots}</svg></figure>`;
}

export function renderTrendHtml(scenarios: readonly TrendScenario[]): string {
  const sections = scenarios.map((s) => {
    const metrics = [...new Set(s.runs.flatMap((r) => r.gate.rows.map((x) => x.metric)))];
    const verdicts = s.runs
      .map((r, i) => `<tr><td>${i + 1}</td><td>${esc(r.label)}</td><td>${new Date(r.startedAtMs).toISOString()}</td><td class="${r.gate.pass ? 'pass' : 'fail'}">${r.gate.pass ? 'PASS' : 'REGRESSION'}</td><td>${esc(r.gate.rows.filter((x) => !x.pass).map((x) => x.metric).join(', '))}</td></tr>`)
      .join('\n');
    return `<section class="scenario"><h2>${esc(s.scenario)}</h2><p>baseline: ${s.baselineFile ? esc(s.baselineFile) : 'none'}; shaded band: baseline value → the gate's limit; dots: each run's verdict for the metric.</p>
<table><tr><th>#</th><th>run</th><th>started</th><th>gate</th><th>regressed</th></tr>
${verdicts}</table>
<div class="charts">${metrics.map((m) => chart(m, s.runs)).join('\n')}</div></section>`;
  });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>halab trend</title>
<style>
body { font: 14px system-ui, sans-serif; margin: 24px; color: #222; }
table { border-collapse: collapse; margin: 8px 0 16px; } td, th { border: 1px solid #ccc; padding: 3px 8px; text-align: left; }
.pass { color: #1a7f37; } .fail { color: #c62828; font-weight: 600; }
.charts { display: flex; flex-wrap: wrap; gap: 12px; } figure.metric { margin: 0; border: 1px solid #eee; padding: 6px; }
.axis { stroke: #888; } .band { fill: #2e7d3222; } .baseline { stroke: #2e7d32; stroke-dasharray: 4 3; }
.series { fill: none; stroke: #1565c0; stroke-width: 2; } .dot.pass { fill: #2e7d32; } .dot.fail { fill: #c62828; } .dot.none { fill: #999; }
.tick { font-size: 10px; fill: #555; }
</style></head><body>
<h1>halab trend: ${scenarios.length} scenario(s), ${scenarios.reduce((n, s) => n + s.runs.length, 0)} run(s)</h1>
${sections.join('\n')}
<script>
for (const svg of document.querySelectorAll('svg.chart')) {
  const line = svg.querySelector('polyline.series');
  const box = line ? line.getBBox() : null;
  const dots = svg.querySelectorAll('circle.dot').length;
  if (dots > 0 && box && (box.width > 0 || Number(line.dataset.points) === 1)) svg.setAttribute('data-drawn', 'true');
}
</script>
</body></html>
`;
}
