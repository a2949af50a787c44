// The gate's verdict for people (a table), for tools (JSON) and for CI (JUnit: one test case per
// metric, a failure naming baseline, now, the test and its p-value or margin).
import type { GateResult, GateRow } from './gate.js';

const show = (v: number | null): string => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : String(Math.round(v * 1000) / 1000));
const showP = (p: number | null): string => (p === null ? '' : p < 1e-4 ? `p=${p.toExponential(1)}` : `p=${p.toFixed(4)}`);

function evidence(r: GateRow): string {
  if (r.p !== null) return showP(r.p);
  if (r.margin !== null && r.limit !== null) return `limit ${show(r.limit)} (margin ${show(r.margin)})`;
  return r.limit !== null ? `limit ${show(r.limit)}` : '';
}

export function renderGateText(g: GateResult, baselineFile: string): string {
  const head = `${g.pass ? 'PASS' : 'REGRESSION'}  ${g.scenario}: ${g.runsNow} run(s) against ${baselineFile} (${g.baselineRuns} baseline run(s)); α = ${g.alpha} per metric, family ≤ ${g.familyAlphaBound}`;
  const lines = g.rows.map((r) => `  ${r.metric.padEnd(18)} ${show(r.baseline).padStart(9)} ${show(r.now).padStart(9)}  ${r.test.padEnd(16)} ${evidence(r).padEnd(32)} ${r.pass ? 'ok' : 'REGRESSED'}`);
  const why = g.rows.filter((r) => !r.pass).map((r) => `  ${r.metric}: ${r.detail}`);
  return [head, `  ${'metric'.padEnd(18)} ${'baseline'.padStart(9)} ${'now'.padStart(9)}  ${'test'.padEnd(16)} ${'p-value or limit (margin)'.padEnd(32)} verdict`, ...lines, ...(why.length ? ['why:', ...why] : [])].join('\n') + '\n';
}

export function renderGateJson(g: GateResult, baselineFile: string): string {
  return JSON.stringify({ baseline: baselineFile, ...g }, null, 2) + '\n';
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** JUnit XML: one test suite per gated scenario, one test case per metric. */
export function renderGateJunit(results: readonly { readonly result: GateResult; readonly baselineFile: string }[], suiteName = 'halab-gate'): string {
  const suites = results.map(({ result: g, baselineFile }) => {
    const cases = g.rows.map((r) => {
      const head = `    <testcase classname="${esc(`halab.gate.${g.scenario}`)}" name="${esc(r.metric)}" time="0">`;
      const msg = `${r.metric}: baseline ${show(r.baseline)}, now ${show(r.now)}, ${r.test} ${evidence(r)}`.trim();
      if (r.pass) return `${head}<system-out>${esc(`${msg}\n${r.detail}`)}</system-out></testcase>`;
      return `${head}\n      <failure message="${esc(msg)}" type="Regression">${esc(`${msg}\n${r.detail}\nbaseline file: ${baselineFile}`)}</failure>\n    </testcase>`;
    });
    const failures = g.rows.filter((r) => !r.pass).length;
    return [
      `  <testsuite name="${esc(`gate ${g.scenario}`)}" tests="${g.rows.length}" failures="${failures}" errors="0">`,
      `    <properties><property name="baseline" value="${esc(baselineFile)}"/><property name="alpha" value="${g.alpha}"/><property name="runs" value="${g.runsNow}"/></properties>`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const tests = results.reduce((s, x) => s + x.result.rows.length, 0);
  const failures = results.reduce((s, x) => s + x.result.rows.filter((r) => !r.pass).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(suiteName)}" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
