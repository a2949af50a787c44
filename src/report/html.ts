// report.html: a self-contained page (no network) with a timeline of request rate, success rate
// and time to first token, every fault shaded over its window with detection, failover and
// recovery marked, the per-fault table, targets against actuals, and the annualized estimate.
// The charts are drawn in the browser by a small inline script from the embedded data.
import type { RunReport } from './run-report.js';
import { deployWindows, renderDeploysHtml } from './html-deploys.js';
import { esc, ms, table } from './html-parts.js';

export interface AnnualEstimate {
  readonly downtimeMinutesPerYear: number;
  readonly availability: number;
  readonly kinds: readonly { readonly kind: string; readonly perYear: number; readonly downtimeMinutesPerYear: number }[];
}

const CHART_SCRIPT = `
(function () {
  var data = JSON.parse(document.getElementById('halab-data').textContent);
  var NS = 'http://www.w3.org/2000/svg';
  function el(name, attrs, parent) {
    var e = document.createElementNS(NS, name);
    for (var k in attrs) e.setAttribute(k, attrs[k]);
    if (parent) parent.appendChild(e);
    return e;
  }
  var W = 900, H = 180, L = 56, R = 12, T = 12, B = 26;
  var t0 = data.originMs, t1 = data.endMs;
  function x(t) { return L + (W - L - R) * (t - t0) / Math.max(1, t1 - t0); }
  document.querySelectorAll('svg.chart').forEach(function (svg) {
    var key = svg.getAttribute('data-series');
    var pts = data.buckets.filter(function (b) { return b[key] !== null; });
    var max = key === 'availability' ? 1 : Math.max.apply(null, pts.map(function (b) { return b[key]; }).concat([1]));
    var min = key === 'availability' ? Math.min.apply(null, pts.map(function (b) { return b[key]; }).concat([0.95])) : 0;
    function y(v) { return T + (H - T - B) * (1 - (v - min) / Math.max(1e-9, max - min)); }
    el('rect', { x: L, y: T, width: W - L - R, height: H - T - B, class: 'frame' }, svg);
    data.faults.forEach(function (f) {
      var end = f.healedAtMs || t1;
      el('rect', { x: x(f.injectedAtMs), y: T, width: Math.max(1, x(end) - x(f.injectedAtMs)), height: H - T - B, class: 'fault' }, svg);
      [['detect', f.detectedAtMs], ['failover', f.failoverMs === null ? null : f.injectedAtMs + f.failoverMs], ['recovered', f.rtoMs ? f.injectedAtMs + f.rtoMs : null]].forEach(function (m) {
        if (m[1] === null || m[1] === undefined) return;
        el('line', { x1: x(m[1]), x2: x(m[1]), y1: T, y2: H - B, class: 'marker ' + m[0] }, svg).appendChild(document.createElementNS(NS, 'title')).textContent = m[0] + ' (' + f.kind + ')';
      });
    });
    (data.deploys || []).forEach(function (dw) {
      var end = dw.endedAtMs || t1;
      el('rect', { x: x(dw.startedAtMs), y: T, width: Math.max(1, x(end) - x(dw.startedAtMs)), height: H - T - B, class: 'deploy' }, svg).appendChild(document.createElementNS(NS, 'title')).textContent = dw.label;
    });
    var d = pts.map(function (b, i) { return (i ? 'L' : 'M') + x(b.startMs + 500).toFixed(1) + ',' + y(b[key]).toFixed(1); }).join(' ');
    el('path', { d: d, class: 'series', 'data-points': String(pts.length) }, svg);
    [min, max].forEach(function (v) {
      el('text', { x: L - 6, y: y(v) + 4, class: 'axis', 'text-anchor': 'end' }, svg).textContent = key === 'availability' ? (v * 100).toFixed(1) + '%' : Math.round(v);
    });
    el('text', { x: L, y: H - 6, class: 'axis' }, svg).textContent = '0 s';
    el('text', { x: W - R, y: H - 6, class: 'axis', 'text-anchor': 'end' }, svg).textContent = Math.round((t1 - t0) / 1000) + ' s';
    svg.setAttribute('data-drawn', 'true');
  });
})();
`;

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; max-width: 960px; color: #1d2330; }
h1 .pass { color: #11772f; } h1 .fail { color: #b3261e; }
table { border-collapse: collapse; margin: 8px 0 20px; } th, td { padding: 4px 10px; border-bottom: 1px solid #dde1e7; text-align: left; }
tr.miss td { color: #b3261e; font-weight: 600; }
svg.chart { width: 100%; height: auto; display: block; margin-bottom: 14px; }
.frame { fill: #fafbfc; stroke: #d5d9e0; } .series { fill: none; stroke: #2d5bd7; stroke-width: 1.8; }
.fault { fill: #e8590c; fill-opacity: 0.14; } .deploy { fill: #1971c2; fill-opacity: 0.10; } .marker { stroke-width: 1.5; stroke-dasharray: 4 3; }
.marker.detect { stroke: #9c36b5; } .marker.failover { stroke: #e8590c; } .marker.recovered { stroke: #2b8a3e; }
.axis { font-size: 11px; fill: #5c6370; } .legend span { margin-right: 14px; } code { background: #f1f3f5; padding: 1px 4px; }
`;

export function renderHtml(r: RunReport, annual?: AnnualEstimate): string {
  const buckets = r.metrics.perSecond.map((b) => ({ startMs: b.startMs, rate: b.total, availability: b.availability, ttftP99Ms: b.ttftP99Ms }));
  const originMs = buckets[0]?.startMs ?? r.meta.startedAtMs;
  const endMs = Math.max(originMs + 1000, ...buckets.map((b) => b.startMs + 1000), ...r.faults.map((f) => f.healedAtMs ?? 0));
  const data = { originMs, endMs, buckets, faults: r.faults.map((f) => ({ kind: f.kind, injectedAtMs: f.injectedAtMs, healedAtMs: f.healedAtMs, detectedAtMs: f.detectedAtMs, failoverMs: f.failoverMs, rtoMs: f.rtoMs })), deploys: deployWindows(r) };
  const q = r.metrics.requests;
  const checks = r.verdict.checks;
  const chart = (series: string, title: string) => `<h3>${esc(title)}</h3><svg class="chart" data-series="${series}" viewBox="0 0 900 180" role="img" aria-label="${esc(title)}"></svg>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(r.scenario.name)} — halab report</title><style>${STYLE}</style></head>
<body>
<h1>${esc(r.scenario.name)}: <span class="${r.verdict.pass ? 'pass' : 'fail'}">${r.verdict.pass ? 'PASS' : 'FAIL'}</span></h1>
<p>${esc(r.scenario.description ?? '')}</p>
<p>Seed ${r.seed}. Reproduce with <code>${esc(r.reproduce)}</code>.${r.meta.interrupted ? ' <strong>The run was interrupted.</strong>' : ''}</p>
<h2>Timeline</h2>
<p class="legend"><span>shaded: fault window</span><span style="color:#9c36b5">┆ detected</span><span style="color:#e8590c">┆ left routing</span><span style="color:#2b8a3e">┆ recovered (RTO)</span><span style="color:#1971c2">blue: deployment</span></p>
${chart('rate', 'Requests started per second')}
${chart('availability', 'Success rate per second')}
${chart('ttftP99Ms', 'Time to first token, p99 per second (ms)')}
<h2>Targets</h2>
${table(['check', 'target', 'actual', 'result'], checks.map((c) => [c.name, c.target, c.actual ?? 'n/a', c.pass ? 'pass' : 'FAIL']), (i) => (checks[i]!.pass ? 'ok' : 'miss'))}
<h2>Requests</h2>
${table(['total', 'ok', 'failed', 'truncated', 'timed out', 'wrong answers', 'resumed', 'availability'], [[q.total, q.ok, q.failed, q.truncated, q.timedOut, q.wrongAnswers, q.resumed, `${(r.metrics.availability * 100).toFixed(4)}%`]])}
<h2>Faults</h2>
${r.faults.length === 0 ? '<p>No faults were injected.</p>' : table(['fault', 'target', 'detection', 'failover', 'RTO', 'back on target', 'failed', 'truncated', 'resumed', 'worst TTFT', 'error-seconds'], r.faults.map((f) => [f.kind, f.target, ms(f.detectionMs), ms(f.failoverMs), ms(f.rtoMs), f.returnMs === undefined ? 'n/a' : f.returnMs === null ? 'never' : ms(f.returnMs), f.failedRequests, f.truncatedRequests, f.resumedRequests, ms(f.worstTtftMs), f.errorSeconds]))}
${r.metrics.answersByGroup?.length ? `<h2>Answers by route group</h2>${table(['group', 'model', 'answers', 'share'], r.metrics.answersByGroup.map((g) => [g.group, g.model ?? '', g.answers, `${(g.share * 100).toFixed(2)}%`]))}` : ''}
${renderDeploysHtml(r)}<h2>Annualized estimate</h2>
${annual && annual.kinds.length ? `${table(['fault kind', 'per year', 'downtime min/yr'], annual.kinds.map((k) => [k.kind, k.perYear.toFixed(1), k.downtimeMinutesPerYear.toFixed(3)]))}<p>At these rates: ${annual.downtimeMinutesPerYear.toFixed(3)} minutes of downtime a year, ${(annual.availability * 100).toFixed(5)}%.</p>` : '<p>No faults measured, so no estimate.</p>'}
<script type="application/json" id="halab-data">${JSON.stringify(data).replace(/</g, '\\u003c')}</script>
<script>${CHART_SCRIPT}</script>
</body></html>
`;
}
