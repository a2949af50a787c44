// JUnit XML: one test suite per scenario run, one test case per target check, so CI systems show
// a missed target as a failing test natively.
import type { RunReport } from './run-report.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

export function renderJunit(reports: readonly RunReport[], suiteName = 'halab'): string {
  const suites = reports.map((r) => {
    const seconds = ((r.meta.endedAtMs - r.meta.startedAtMs) / 1000).toFixed(3);
    const failures = r.verdict.checks.filter((c) => !c.pass).length;
    const cases = r.verdict.checks.map((c) => {
      const head = `    <testcase classname="${esc(`halab.${r.scenario.name}`)}" name="${esc(c.name)}" time="0">`;
      if (c.pass) return `${head}</testcase>`;
      const msg = `${c.name}: actual ${c.actual ?? 'n/a'}, target ${c.target}${c.detail ? ` (${c.detail})` : ''}`;
      return `${head}\n      <failure message="${esc(msg)}" type="TargetMissed">${esc(`${msg}\nreproduce: ${r.reproduce}`)}</failure>\n    </testcase>`;
    });
    return [
      `  <testsuite name="${esc(r.scenario.name)}" tests="${r.verdict.checks.length}" failures="${failures}" errors="0" time="${seconds}" timestamp="${new Date(r.meta.startedAtMs).toISOString()}">`,
      `    <properties><property name="seed" value="${r.seed}"/><property name="reproduce" value="${esc(r.reproduce)}"/></properties>`,
      ...cases,
      '  </testsuite>',
    ].join('\n');
  });
  const tests = reports.reduce((s, r) => s + r.verdict.checks.length, 0);
  const failures = reports.reduce((s, r) => s + r.verdict.checks.filter((c) => !c.pass).length, 0);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="${esc(suiteName)}" tests="${tests}" failures="${failures}">\n${suites.join('\n')}\n</testsuites>\n`;
}
