// The fidelity table: the same fault scenario run on stand-ins and on real engines (llama.cpp,
// possibly in containers), side by side per fault — detection, failover, worst TTFT, failed /
// truncated / resumed requests — and for the whole run (TTFT p99, deploy time, verdict), so a user
// sees where the stand-in is faithful and where it is not. Pure: figures in, markdown out.
// `halab report <run-dir> --fidelity <other-run-dir>` and `npm run bench -- fidelity` use it.
import { HalabError } from '../core/errors.js';
import type { RunReport } from './run-report.js';

export interface FaultFidelity {
  readonly kind: string;
  readonly target: string;
  readonly detectionMs: number | null;
  readonly failoverMs: number | null;
  readonly worstTtftMs: number | null;
  readonly failed: number;
  readonly truncated: number;
  readonly resumed: number;
}

export interface FidelityFigures {
  readonly scenario: string;
  readonly faults: readonly FaultFidelity[];
  readonly ttftP99Ms: number | null;
  readonly failed: number;
  readonly truncated: number;
  readonly deployMs: number | null;
  readonly pass: boolean;
}

/** The figures of one run that the fidelity table compares. */
export function fidelityFigures(r: RunReport): FidelityFigures {
  return {
    scenario: r.scenario.name,
    faults: r.faults.map((f) => ({ kind: f.kind, target: f.target, detectionMs: f.detectionMs, failoverMs: f.failoverMs, worstTtftMs: f.worstTtftMs, failed: f.failedRequests, truncated: f.truncatedRequests, resumed: f.resumedRequests })),
    ttftP99Ms: r.metrics.latency.ttftMs.p99 ?? null,
    failed: r.metrics.requests.failed,
    truncated: r.metrics.requests.truncated,
    deployMs: r.metrics.deploys?.[0]?.durationMs ?? null,
    pass: r.verdict.pass,
  };
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(Math.round(v)));

/**
 * Pairs the faults of two runs: the i-th fault of a kind and target with the i-th of the same in
 * the other run (the same scenario schedule on both sides); a fault only one run has (its
 * injection failed on the other) is paired with nothing. Throws when the runs share no fault.
 */
function pairFaults(a: FidelityFigures, b: FidelityFigures): [FaultFidelity | undefined, FaultFidelity | undefined][] {
  const key = (f: FaultFidelity): string => `${f.kind} ${f.target}`;
  const rest = [...b.faults];
  const pairs: [FaultFidelity | undefined, FaultFidelity | undefined][] = a.faults.map((f) => {
    const i = rest.findIndex((g) => key(g) === key(f));
    return [f, i >= 0 ? rest.splice(i, 1)[0] : undefined];
  });
  if (a.faults.length + b.faults.length > 0 && pairs.every(([, g]) => g === undefined)) {
    throw new HalabError('USAGE', `the two runs share no fault (${a.scenario}: ${a.faults.map(key).join(', ') || 'none'}; ${b.scenario}: ${b.faults.map(key).join(', ') || 'none'}): a fidelity table compares one fault schedule on two runtimes`, 'run the same scenario (the same faults, targets and seed) on both topologies');
  }
  return [...pairs, ...rest.map((g): [undefined, FaultFidelity] => [undefined, g])];
}

/** The side-by-side table (markdown): each cell is "left / right". */
export function fidelityTable(left: FidelityFigures, right: FidelityFigures): string {
  const rows = [
    `Fidelity: ${left.scenario} / ${right.scenario} (each cell: left / right)`,
    '',
    '| fault | detection ms | failover ms | worst TTFT ms | failed/truncated | resumed |',
    '|---|---|---|---|---|---|',
  ];
  const cell = (f: FaultFidelity | undefined, v: (f: FaultFidelity) => string): string => (f ? v(f) : 'not injected');
  for (const [a, b] of pairFaults(left, right)) {
    const f = (a ?? b)!;
    const both = (v: (f: FaultFidelity) => string): string => `${cell(a, v)} / ${cell(b, v)}`;
    rows.push(`| ${f.kind} ${f.target} | ${both((x) => ms(x.detectionMs))} | ${both((x) => ms(x.failoverMs))} | ${both((x) => ms(x.worstTtftMs))} | ${both((x) => `${x.failed}/${x.truncated}`)} | ${both((x) => String(x.resumed))} |`);
  }
  rows.push(`| whole run | TTFT p99 ${ms(left.ttftP99Ms)} / ${ms(right.ttftP99Ms)} | rolling deploy ${ms(left.deployMs)} / ${ms(right.deployMs)} | | ${left.failed}/${left.truncated} / ${right.failed}/${right.truncated} | verdict ${left.pass ? 'pass' : 'FAIL'} / ${right.pass ? 'pass' : 'FAIL'} |`);
  return rows.join('\n');
}
