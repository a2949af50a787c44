// Benchmark `fidelity`: the same faults and rolling deploy (scenarios/real-engine-faults.yaml) on
// real llama.cpp engines and on stand-ins of the same shape, through the real `halab run` path;
// prints per fault, side by side, detection, failover, worst TTFT and failed/truncated requests,
// and the run's TTFT p99, so a user sees where the stand-in is faithful and where it is not.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { loadScenario } from '../src/config/scenario.js';
import { runScenario } from '../src/run/runner.js';
import { labPaths } from '../src/process/paths.js';

const PAIR = { real: 'real-engine-faults', standin: 'real-engine-faults-standin' } as const;

interface Figures {
  readonly faults: Map<string, { detectionMs: number | null; failoverMs: number | null; worstTtftMs: number | null; failed: number; truncated: number; resumed: number }>;
  readonly ttftP99Ms: number | null;
  readonly failed: number;
  readonly truncated: number;
  readonly deployMs: number | null;
  readonly pass: boolean;
}

async function run(name: string, home: string): Promise<Figures> {
  const file = join('scenarios', `${name}.yaml`);
  const scenario = loadScenario(file);
  const result = await runScenario({ scenario, scenarioFile: file, seed: scenario.seed, outDir: join(home, name), paths: labPaths(join(home, 'lab-home')), clock: realClock, signal: new AbortController().signal, log: () => undefined });
  const r = result.report;
  process.stderr.write(`${name}: done (${result.runDir})\n`);
  return {
    faults: new Map(r.faults.map((f) => [f.kind, { detectionMs: f.detectionMs, failoverMs: f.failoverMs, worstTtftMs: f.worstTtftMs, failed: f.failedRequests, truncated: f.truncatedRequests, resumed: f.resumedRequests }])),
    ttftP99Ms: r.metrics.latency.ttftMs.p99 ?? null,
    failed: r.metrics.requests.failed,
    truncated: r.metrics.requests.truncated,
    deployMs: r.metrics.deploys?.[0]?.durationMs ?? null,
    pass: r.verdict.pass,
  };
}

const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '-' : String(Math.round(v)));

/** The side-by-side table (markdown) of a real-engine run and its stand-in twin. */
export function fidelityTable(real: Figures, standin: Figures): string {
  const rows = ['| fault | detection ms (real / stand-in) | failover ms | worst TTFT ms | failed/truncated | resumed |', '|---|---|---|---|---|---|'];
  for (const [kind, a] of real.faults) {
    const b = standin.faults.get(kind);
    rows.push(`| ${kind} | ${ms(a.detectionMs)} / ${ms(b?.detectionMs)} | ${ms(a.failoverMs)} / ${ms(b?.failoverMs)} | ${ms(a.worstTtftMs)} / ${ms(b?.worstTtftMs)} | ${a.failed}/${a.truncated} / ${b?.failed ?? '-'}/${b?.truncated ?? '-'} | ${a.resumed} / ${b?.resumed ?? '-'} |`);
  }
  rows.push(`| whole run | TTFT p99 ${ms(real.ttftP99Ms)} / ${ms(standin.ttftP99Ms)} | rolling deploy ${ms(real.deployMs)} / ${ms(standin.deployMs)} | | ${real.failed}/${real.truncated} / ${standin.failed}/${standin.truncated} | verdict ${real.pass ? 'pass' : 'FAIL'} / ${standin.pass ? 'pass' : 'FAIL'} |`);
  return rows.join('\n');
}

export async function benchFidelity(): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'halab-fidelity-'));
  const real = await run(PAIR.real, home);
  const standin = await run(PAIR.standin, home);
  process.stdout.write(`${fidelityTable(real, standin)}\n(real llama.cpp engines / stand-ins; 5 streaming req/s; one region, 3 primary + 1 backup)\n`);
}
