// `halab baseline <scenario.yaml | run-dir>... [--runs N] [--all]` writes baselines (default
// reports/baselines/<scenario>.json) from N fresh runs of a scenario, or from existing run
// directories; `halab gate <run-dir>...` tests runs against their baseline, one statistical test per
// metric, and exits 1 when one regressed.
import type { Command } from 'commander';
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative } from 'node:path';
import { realClock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import { EXIT } from '../../core/exit-codes.js';
import { loadScenario } from '../../config/scenario.js';
import { buildTopology } from '../../config/topology.js';
import { defaultBaselineFile, makeBaseline, readBaseline, writeBaseline } from '../../report/baseline.js';
import { DEFAULT_GATE_ALPHA, gateRuns, type GateResult } from '../../report/gate.js';
import { observeRunDir, type RunObservation } from '../../report/gate-observe.js';
import { renderGateJson, renderGateJunit, renderGateText } from '../../report/gate-render.js';
import { runDirsIn, runRepeated } from '../../run/repeat.js';
import { suiteFor, type Suite } from '../../run/suite.js';
import { atTimeScale } from '../../run/scale-plan.js';
import { parseTimeScale } from '../../run/time-scale.js';
import { defaultParallelLabs, runChildHalab, runOnWorkers } from '../../run/parallel-labs.js';
import { LockstepGroup } from '../../run/lockstep.js';
import { loadavg } from 'node:os';
import { scenarioPrerequisites } from '../../run/prerequisites.js';
import { scenarioTopologyDoc, scheduleFor } from '../../run/runner.js';

/** Baseline runs per scenario by default: with 5, the prediction factor at α = 0.01 is 4.1 (3: 8.0). */
export const DEFAULT_BASELINE_RUNS = 5;
export const SHIPPED_SCENARIOS_DIR = 'scenarios';
/** The suite CI runs: `halab baseline --all` makes baselines of its scenarios the way it runs them. */
export const SHIPPED_SUITE_FILE = join(SHIPPED_SCENARIOS_DIR, 'suites', 'shipped.yaml');

function positiveInt(flag: string, v: string): number {
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new HalabError('USAGE', `${flag} must be a positive integer, not "${v}"`);
  return Number(v);
}

function alphaOf(v: string | undefined): number {
  if (v === undefined) return DEFAULT_GATE_ALPHA;
  const a = Number(v);
  if (!(a > 0 && a < 0.5)) throw new HalabError('USAGE', `--alpha must be a number in (0, 0.5), not "${v}"`);
  return a;
}

function seedFlag(v: string): number {
  if (!/^-?\d+$/.test(v)) throw new HalabError('USAGE', `--seed must be an integer, not "${v}"`);
  return Number(v);
}

const isScenarioFile = (p: string): boolean => /\.ya?ml$/.test(p) && existsSync(p) && statSync(p).isFile();

/** The shipped suite (its scenarios and the time scale and parallel labs it runs them with), else every scenarios/*.yaml. */
function shippedSuite(): Suite {
  if (existsSync(SHIPPED_SUITE_FILE)) return suiteFor(SHIPPED_SUITE_FILE)!;
  return { name: 'shipped', files: readdirSync(SHIPPED_SCENARIOS_DIR).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => join(SHIPPED_SCENARIOS_DIR, f)) };
}

interface BaselineFlags {
  runs?: string;
  all?: boolean;
  out?: string;
  seed?: string;
  keep?: string;
  timeScale?: string;
  parallel?: string;
}

export function registerBaseline(program: Command): void {
  program
    .command('baseline')
    .description('write baselines from N same-seed runs of scenarios (or from existing run directories) to reports/baselines/<scenario>.json')
    .argument('[targets...]', 'scenario files to run, or run directories (a directory of run-<i>/ counts as its runs)')
    .option('--runs <n>', `runs per scenario (default ${DEFAULT_BASELINE_RUNS})`)
    .option('--all', `every scenario of the shipped suite (${SHIPPED_SUITE_FILE}), at its time scale and parallel labs`)
    .option('--time-scale <s>', 'lab time scale of the runs (default: the shipped suite\'s with --all, else 1); the gate compares runs of this scale only')
    .option('--parallel <n>', 'scenarios baselined at once, each in its own lab (default: the shipped suite\'s with --all, else 1)')
    .option('--seed <n>', 'seed of every run (default each scenario\'s own)')
    .option('--out <file>', 'baseline file (one scenario only; default reports/baselines/<scenario>.json)')
    .option('--keep <dir>', 'where the baseline runs go (default reports/baseline-runs)', join('reports', 'baseline-runs'))
    .action(async (targets: string[], flags: BaselineFlags) => {
      const runs = flags.runs === undefined ? DEFAULT_BASELINE_RUNS : positiveInt('--runs', flags.runs);
      const shipped = flags.all ? shippedSuite() : undefined;
      const scenarioFiles = [...(shipped?.files ?? []), ...targets.filter(isScenarioFile)];
      const timeScale = flags.timeScale !== undefined ? parseTimeScale(flags.timeScale) : (shipped?.timeScale ?? 1);
      const parallel = flags.parallel !== undefined ? positiveInt('--parallel', flags.parallel) : (shipped ? (shipped.parallel ?? defaultParallelLabs()) : 1);
      const dirTargets = targets.filter((t) => !isScenarioFile(t));
      if (scenarioFiles.length === 0 && dirTargets.length === 0) throw new HalabError('USAGE', 'name scenario files, run directories, or --all');
      for (const d of dirTargets) if (runDirsIn(d).length === 0) throw new HalabError('NOT_FOUND', `${d} is neither a scenario file nor a run directory (no meta.json in it or its subdirectories)`);
      if (flags.out && scenarioFiles.length > 1) throw new HalabError('USAGE', '--out names one baseline file: give one scenario');
      const write = (observations: RunObservation[], from: string[]): void => {
        const file = flags.out ?? defaultBaselineFile(observations[0]!.scenario);
        // run directories inside the working directory are kept relative, so a committed baseline names no machine's paths
        const shown = from.map((d) => (isAbsolute(d) && !relative(process.cwd(), d).startsWith('..') ? relative(process.cwd(), d) : d));
        writeBaseline(file, makeBaseline(observations, shown));
        process.stdout.write(`baseline for ${observations[0]!.scenario} (${observations.length} run(s)) written to ${file}\n`);
        // a baseline holds what its runs did: say so when they missed their own targets (a loaded machine)
        const missed = from.flatMap((d) => {
          const f = join(d, 'report.json');
          if (!existsSync(f)) return [];
          const r = JSON.parse(readFileSync(f, 'utf8')) as { verdict?: { pass: boolean; checks?: { name: string; pass: boolean }[] } };
          return r.verdict && !r.verdict.pass ? [(r.verdict.checks ?? []).filter((c) => !c.pass).map((c) => c.name)] : [];
        });
        if (missed.length) {
          const names = [...new Set(missed.flat())].join(', ');
          process.stdout.write(`warning: ${missed.length} of ${from.length} baseline run(s) of ${observations[0]!.scenario} missed a target (${names}): the gate will accept runs as bad as those; make baselines on a quiet machine\n`);
        }
      };
      if (dirTargets.length > 0) {
        const dirs = dirTargets.flatMap(runDirsIn);
        write(dirs.map(observeRunDir), dirs);
      }
      if (scenarioFiles.length === 0) return;
      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const t0 = realClock.nowMs();
      const skipped: string[] = [];
      const labs = new LockstepGroup();
      const jobs = scenarioFiles.flatMap((file) => {
        const scaled = atTimeScale(loadScenario(file), timeScale);
        if (scaled.note) process.stderr.write(`${scaled.note}\n`);
        const scenario = scaled.scenario;
        const seed = flags.seed === undefined ? scenario.seed : seedFlag(flags.seed);
        const topology = buildTopology(scenarioTopologyDoc(scenario), scenario.topology);
        const missing = topology.external ? [] : scenarioPrerequisites(scheduleFor(scenario, topology, seed).map((f) => f.kind));
        if (missing.length > 0) {
          skipped.push(scenario.name);
          process.stdout.write(`SKIP  ${scenario.name}: ${missing.join('; ')}\n`);
          return [];
        }
        return [{ file, scenario, seed }];
      });
      // longest first, as a suite runs them
      jobs.sort((a, b) => b.scenario.durationMs - a.scenario.durationMs);
      const workers = Math.min(parallel, Math.max(1, jobs.length));
      process.stderr.write(`baselines: ${jobs.length} scenario(s) × ${runs} run(s), ${workers} lab(s) at once, time scale ${timeScale}\n`);
      const results = await runOnWorkers(
        jobs,
        workers,
        async ({ file, scenario, seed }, worker) => {
          const started = realClock.nowMs();
          const outRoot = join(flags.keep ?? join('reports', 'baseline-runs'), scenario.name);
          if (workers > 1) {
            // a parallel lab: a child `halab run --repeat` with its own HALAB_HOME and address block
            rmSync(outRoot, { recursive: true, force: true });
            const args = ['run', file, '--repeat', String(runs), '--no-gate', '--out', outRoot, '--seed', String(seed), '--time-scale', String(scenario.timeScale ?? 1)];
            const child = await runChildHalab(process.argv[1]!, args, worker, (line) => process.stderr.write(`[${scenario.name}] ${line}\n`), controller.signal, labs);
            const dirs = runDirsIn(outRoot);
            if (controller.signal.aborted) return;
            if (dirs.length !== runs) throw new Error(`halab run ${file} --repeat ${runs} ended with ${child.signal ?? `exit ${child.code}`} and ${dirs.length} run(s)`);
            write(dirs.map(observeRunDir), dirs);
          } else {
            const result = await runRepeated({
              scenario,
              scenarioFile: file,
              seed,
              runs,
              outRoot,
              signal: controller.signal,
              log: (line) => process.stderr.write(line + '\n'),
              onRun: (r, _dir, i) => process.stdout.write(`  ${scenario.name} run ${i}/${runs}: ${r.verdict.pass ? 'targets met' : 'a target MISSED'}\n`),
            });
            if (result.interrupted) return;
            write(result.runDirs.map(observeRunDir), [...result.runDirs]);
          }
          process.stdout.write(`  ${scenario.name}: ${((realClock.nowMs() - started) / 1000).toFixed(0)} s\n`);
        },
        controller.signal,
      );
      const errors = results.flatMap((r, i) => (r instanceof Error ? [`${jobs[i]!.scenario.name}: ${r.message}`] : []));
      for (const e of errors) process.stdout.write(`ERROR ${e}\n`);
      process.stdout.write(`baselines: ${jobs.length - errors.length} scenario(s) × ${runs} run(s) in ${((realClock.nowMs() - t0) / 1000).toFixed(0)} s (${workers} lab(s) at once, time scale ${timeScale}; load average ${loadavg().map((x) => x.toFixed(2)).join(' ')})${skipped.length ? `; skipped ${skipped.join(', ')}` : ''}\n`);
      process.exitCode = controller.signal.aborted ? EXIT.interrupted : errors.length ? EXIT.internal : skipped.length ? EXIT.badInput : EXIT.ok;
    });
}

interface GateFlags {
  baseline?: string;
  json?: boolean;
  junit?: string;
  alpha?: string;
}

/** Gates run directories: those of one scenario together (repeats), each scenario against its own baseline. */
export function gateDirs(paths: readonly string[], opts: { baseline?: string; alpha: number }): { result: GateResult; baselineFile: string }[] {
  const byScenario = new Map<string, RunObservation[]>();
  for (const p of paths) {
    const dirs = runDirsIn(p);
    if (dirs.length === 0) throw new HalabError('NOT_FOUND', `${p} is not a run directory (no meta.json in it or its subdirectories)`);
    for (const d of dirs) {
      const o = observeRunDir(d);
      byScenario.set(o.scenario, [...(byScenario.get(o.scenario) ?? []), o]);
    }
  }
  if (opts.baseline && byScenario.size > 1) throw new HalabError('USAGE', `--baseline names one file, but the runs are of ${byScenario.size} scenarios (${[...byScenario.keys()].join(', ')})`);
  return [...byScenario].map(([scenario, obs]) => {
    const baselineFile = opts.baseline ?? defaultBaselineFile(scenario);
    const b = readBaseline(baselineFile);
    if (b.scenario !== scenario) throw new HalabError('USAGE', `${baselineFile} is a baseline of "${b.scenario}", not of "${scenario}"`);
    return { result: gateRuns(obs, b, { alpha: opts.alpha }), baselineFile };
  });
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('test runs against their baseline, one statistical test per metric; exit 1 when a metric regressed')
    .argument('<run-dirs...>', 'run directories (repeats of one scenario are pooled; a directory of run-<i>/ counts as its runs)')
    .option('--baseline <file>', 'baseline file (default reports/baselines/<scenario>.json)')
    .option('--alpha <a>', `false-alarm rate of each metric's test (default ${DEFAULT_GATE_ALPHA})`)
    .option('--json', 'print JSON')
    .option('--junit <file>', 'also write JUnit XML: one test case per metric')
    .action((paths: string[], flags: GateFlags) => {
      const results = gateDirs(paths, { ...(flags.baseline ? { baseline: flags.baseline } : {}), alpha: alphaOf(flags.alpha) });
      if (flags.json) {
        const docs = results.map((r) => JSON.parse(renderGateJson(r.result, r.baselineFile)) as unknown);
        process.stdout.write(JSON.stringify(docs.length === 1 ? docs[0] : docs, null, 2) + '\n');
      } else for (const r of results) process.stdout.write(renderGateText(r.result, r.baselineFile));
      if (flags.junit) writeFileSync(flags.junit, renderGateJunit(results));
      process.exitCode = results.every((r) => r.result.pass) ? EXIT.ok : EXIT.failed;
    });
}
