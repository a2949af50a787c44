// Benchmark: the gate's false-alarm rate and power on real recorded runs. For each scenario with K
// recorded same-seed runs, 20 trials each hold one run out, build a baseline from up to 5 of the
// others (seeded choice), and gate the held-out run unchanged (a failure is a false alarm) and
// with known regressions applied to its records: TTFT × 1.5, failover + 500 ms, one failed
// request, deploy duration + 30 % (a detection when the gate fails). With K ≥ 6 it does the same
// for three held-out runs gated together (`halab run --repeat 3`) against a baseline of up to 5 of
// the rest. Run directories come from $GATE_POWER_RUNS (comma-separated directories, each holding
// the run-<i>/ of one scenario; default reports/baseline-runs/{replica-crash,rolling-deploy}); a
// scenario with fewer than 4 runs is run here until it has 4, at the shipped suite's time scale
// (make more with `halab run scenarios/<s>.yaml --repeat 8 --time-scale 0.5 --no-gate --out <dir>`).
import { existsSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { createRng } from '../src/core/rng.js';
import { loadScenario } from '../src/config/scenario.js';
import { readEvents, readReadbacks, readRecords } from '../src/record/record-io.js';
import { measureRun } from '../src/measure/run-metrics.js';
import { makeBaseline } from '../src/report/baseline.js';
import { gateRuns } from '../src/report/gate.js';
import { observe, type RunObservation } from '../src/report/gate-observe.js';
import { delayFailover, failOneRequest, scaleTtft, stretchDeploys, type RunRecords } from '../src/report/record-transforms.js';
import { RUN_FILES, type RunMeta } from '../src/report/run-report.js';
import { runDirsIn, runRepeated } from '../src/run/repeat.js';
import { atTimeScale } from '../src/run/scale-plan.js';
import { suiteFor } from '../src/run/suite.js';

interface Tally {
  falseAlarms: number;
  trials: number;
  readonly alarmMetrics: Map<string, number>;
  readonly detected: Map<string, { hit: number; of: number }>;
}

const newTally = (): Tally => ({ falseAlarms: 0, trials: 0, alarmMetrics: new Map(), detected: new Map() });

const TRIALS = 20;
const BASELINE_RUNS_MAX = 5;
const RUNS_MIN = 4;
/** Runs gated together in the `--repeat` trials. */
const REPEAT_NOW = 3;
const DEFAULT_SOURCES = ['reports/baseline-runs/replica-crash', 'reports/baseline-runs/rolling-deploy'];

interface LoadedRun extends RunRecords {
  readonly dir: string;
  readonly scenario: ReturnType<typeof loadScenario>;
  readonly seed: number;
  readonly readback?: ReturnType<typeof readReadbacks>['records'];
}

function load(dir: string): LoadedRun {
  const meta = JSON.parse(readFileSync(join(dir, RUN_FILES.meta), 'utf8')) as RunMeta;
  const rb = join(dir, RUN_FILES.readback);
  return {
    dir,
    scenario: loadScenario(join(dir, RUN_FILES.scenario)),
    seed: meta.seed,
    records: readRecords(join(dir, RUN_FILES.requests)).records,
    events: readEvents(join(dir, RUN_FILES.events)).records,
    ...(existsSync(rb) ? { readback: readReadbacks(rb).records } : {}),
  };
}

function observeRecords(run: LoadedRun, rr: RunRecords = run): RunObservation {
  return observe(run.scenario.name, run.seed, measureRun(rr.records, rr.events, run.scenario.targets, run.readback), rr.records);
}

const REGRESSIONS: { readonly name: string; readonly applies: (r: LoadedRun) => boolean; readonly apply: (r: RunRecords) => RunRecords }[] = [
  { name: 'TTFT × 1.5', applies: () => true, apply: (r) => scaleTtft(r, 1.5) },
  { name: 'failover + 500 ms', applies: (r) => r.events.some((e) => e.type === 'fault.injected'), apply: (r) => delayFailover(r, 500) },
  { name: 'one failed request', applies: () => true, apply: (r) => failOneRequest(r) },
  { name: 'deploy duration + 30 %', applies: (r) => r.events.some((e) => e.type === 'deploy.started'), apply: (r) => stretchDeploys(r, 1.3) },
];

async function ensureRuns(source: string): Promise<string[]> {
  const have = runDirsIn(source);
  if (have.length >= RUNS_MIN) return have;
  const name = source.replace(/\/+$/, '').split('/').pop()!;
  const file = join('scenarios', `${name}.yaml`);
  if (!existsSync(file)) throw new Error(`${source} holds ${have.length} runs and ${file} does not exist to make more`);
  const scenario = atTimeScale(loadScenario(file), suiteFor(join('scenarios', 'suites', 'shipped.yaml'))?.timeScale ?? 1).scenario;
  const more = RUNS_MIN - have.length;
  process.stdout.write(`${source}: ${have.length} runs; running ${name} ${more} more time(s)\n`);
  await runRepeated({ scenario, scenarioFile: file, seed: scenario.seed, runs: RUNS_MIN, outRoot: source, signal: new AbortController().signal, log: () => undefined });
  return runDirsIn(source);
}

export async function benchGatePower(): Promise<void> {
  const sources = (process.env.GATE_POWER_RUNS?.split(',').filter(Boolean) ?? DEFAULT_SOURCES).map((s) => s.trim());
  const t0 = realClock.monoMs();
  const table: string[] = [];
  for (const source of sources) {
    const runs = (await ensureRuns(source)).map(load);
    const obs = runs.map((r) => observeRecords(r));
    const rng = createRng(`gate-power:${source}`);
    const shuffled = (xs: number[]): number[] => {
      for (let i = xs.length - 1; i > 0; i--) {
        const j = rng.int(0, i);
        [xs[i], xs[j]] = [xs[j]!, xs[i]!];
      }
      return xs;
    };
    const trial = (tally: Tally, held: readonly number[]): void => {
      const chosen = shuffled(obs.map((_, i) => i).filter((i) => !held.includes(i))).slice(0, BASELINE_RUNS_MAX);
      const baseline = makeBaseline(chosen.map((i) => obs[i]!), chosen.map((i) => runs[i]!.dir));
      tally.trials += 1;
      const unchanged = gateRuns(held.map((i) => obs[i]!), baseline);
      if (!unchanged.pass) {
        tally.falseAlarms += 1;
        for (const row of unchanged.rows) if (!row.pass) tally.alarmMetrics.set(row.metric, (tally.alarmMetrics.get(row.metric) ?? 0) + 1);
      }
      for (const reg of REGRESSIONS) {
        if (!held.every((i) => reg.applies(runs[i]!))) continue;
        // the regression in every held-out run (a change that is there stays there)
        const result = gateRuns(held.map((i) => observeRecords(runs[i]!, reg.apply(runs[i]!))), baseline);
        const d = tally.detected.get(reg.name) ?? { hit: 0, of: 0 };
        d.of += 1;
        if (!result.pass) d.hit += 1;
        tally.detected.set(reg.name, d);
      }
    };
    const single = newTally();
    const repeated = newTally();
    for (let t = 0; t < TRIALS; t++) {
      trial(single, [t % runs.length]);
      if (runs.length >= REPEAT_NOW + 3) trial(repeated, [0, 1, 2].map((j) => (t + j) % runs.length));
    }
    const name = runs[0]!.scenario.name;
    const scale = (JSON.parse(readFileSync(join(runs[0]!.dir, RUN_FILES.meta), 'utf8')) as RunMeta).timeScale ?? 1;
    const rows = (label: string, tally: Tally): void => {
      if (tally.trials === 0) return;
      const alarms = [...tally.alarmMetrics].map(([m, n]) => `${m} ×${n}`).join(', ');
      table.push(`${name.padEnd(18)} ${String(runs.length).padStart(4)}  ${label.padEnd(8)} unchanged: ${tally.falseAlarms}/${tally.trials} false alarms${alarms ? ` (${alarms})` : ''}`);
      for (const [reg, d] of tally.detected) table.push(`${''.padEnd(18)} ${''.padStart(4)}  ${label.padEnd(8)} ${reg.padEnd(24)} detected ${d.hit}/${d.of} (${((d.hit / d.of) * 100).toFixed(0)}%)`);
    };
    table.push(`${name}: ${runs.length} runs at time scale ${scale} from ${source}`);
    rows('1 run', single);
    rows(`${REPEAT_NOW} runs`, repeated);
  }
  process.stdout.write(`gate power: ${TRIALS} trials per scenario, baseline of up to ${BASELINE_RUNS_MAX} other runs (leave out 1, or ${REPEAT_NOW} gated together), α = 0.01 per metric; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
  process.stdout.write(`scenario           runs  result\n${table.join('\n')}\n`);
  process.stdout.write(`(${((realClock.monoMs() - t0) / 1000).toFixed(1)} s)\n`);
}
