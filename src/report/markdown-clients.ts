// report.md's client-side fault section: the misbehaving client classes, kept apart from the
// well-behaved clients that every other figure of the report describes.
import type { RunReport } from './run-report.js';

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v} ms`);

export function clientsMarkdown(r: RunReport): string[] {
  const c = r.metrics.clientFaults;
  if (!c) return [];
  const rows = c.classes.map((k) => {
    const statuses = Object.entries(k.statuses).sort(([a], [b]) => a.localeCompare(b)).map(([s, n]) => `${s}: ${n}`).join(', ');
    return `| ${k.clientClass} | ${k.requests.total} | ${k.retries ?? 0} | ${k.requests.ok} | ${k.shed} (${(k.shedShare * 100).toFixed(1)}%) | ${statuses} | ${ms(k.ttftMs.p99)} |`;
  });
  return [
    '## Client-side faults',
    '',
    'Every other figure of this report is the well-behaved clients\'; the misbehaving classes are these.',
    '',
    '| client class | requests | of them retries | ok | shed (429) | statuses | TTFT p99 |',
    '| --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Well-behaved clients' TTFT p99: ${ms(c.wellBehavedTtftP99DuringMs)} during client-side faults, ${ms(c.wellBehavedTtftP99SteadyMs)} in steady state (ratio ${c.ttftRatio ?? '–'}).`,
    '',
    ...(c.retryAmplification
      ? [`Retry amplification (every client): ${c.retryAmplification.requests} requests admitted at the entry point; GLB ${c.retryAmplification.glb} (${c.retryAmplification.glbRetries} retries in another region), gateways ${c.retryAmplification.gateway} (${c.retryAmplification.gatewayRetries} retries on another replica).`, '']
      : []),
  ];
}
