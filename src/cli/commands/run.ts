// `halab run [scenario | dir | suite] [--seed n] [--out dir]`: the lab's main job. Exit 0 when
// every target was met, 1 when one was missed, 2 on a usage or configuration error, 130 when
// interrupted. A directory or suite file runs its scenarios (in parallel labs, at its time scale)
// with one summary.
import { Option, type Command } from 'commander';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realClock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import { EXIT } from '../../core/exit-codes.js';
import { loadScenario, type Scenario } from '../../config/scenario.js';
import { buildTopology } from '../../config/topology.js';
import { runScenario, scenarioTopologyDoc, scheduleFor } from '../../run/runner.js';
import { validatedSchedule } from '../../run/validate-scenario.js';
import { suiteFor } from '../../run/suite.js';
import { scenarioPrerequisites } from '../../run/prerequisites.js';
import { renderJunit } from '../../report/junit.js';
import { formatSummary, type RunReport } from '../../report/run-report.js';
import { runRepeated } from '../../run/repeat.js';
import { defaultBaselineFile } from '../../report/baseline.js';
import { renderGateText } from '../../report/gate-render.js';
import { DEFAULT_GATE_ALPHA } from '../../report/gate.js';
import { gateDirs } from './gate.js';
import { existsSync } from 'node:fs';
import { atTimeScale } from '../../run/scale-plan.js';
import { parseTimeScale } from '../../run/time-scale.js';
import { defaultParallelLabs, MAX_PARALLEL_LABS, runChildHalab, runOnWorkers } from '../../run/parallel-labs.js';
import { LockstepGroup, stdinLockstep } from '../../run/lockstep.js';
import { labPaths } from '../../process/paths.js';
import { cpuSecondsUsed } from '../../process/owned.js';
import { cpuBetween, suiteCostLine } from '../../run/suite-cost.js';
import { loadavg } from 'node:os';

function positiveIntFlag(flag: string, v: string, max: number): number {
  if (!/^\d+$/.test(v) || Number(v) < 1 || Number(v) > max) throw new HalabError('USAGE', `${flag} must be a whole number from 1 to ${max}, not "${v}"`);
  return Number(v);
}

export const DEFAULT_SCENARIO = 'scenarios/replica-crash.yaml';

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

interface RunFlags {
  seed?: string;
  out?: string;
  scheduleOnly?: boolean;
  repeat?: string;
  baseline?: string;
  timeScale?: string;
  parallel?: string;
  addressBlock?: string;
  gate?: boolean;
}

function seedOf(flags: RunFlags, scenario: Scenario): number {
  if (flags.seed === undefined) return scenario.seed;
  if (!/^-?\d+$/.test(flags.seed)) throw new HalabError('USAGE', `--seed must be an integer, not "${flags.seed}"`);
  return Number(flags.seed);
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a chaos scenario (or a directory / suite of them) end to end: lab up, load, faults, report, lab down')
    .argument('[scenario]', 'scenario file, directory of scenario files, or suite file', DEFAULT_SCENARIO)
    .option('--seed <n>', 'override the scenario seed')
    .option('--out <dir>', 'run directory (default reports/<timestamp>-<scenario>)')
    .option('--schedule-only', 'print the fault schedule this seed gives, as JSON, and start nothing')
    .option('--repeat <n>', 'run one scenario n times with the same seed (into <out>/run-<i>/) and gate them together against its baseline')
    .option('--baseline <file>', 'with --repeat: the baseline to gate against (default reports/baselines/<scenario>.json)')
    .option('--time-scale <s>', 'compress lab time: every duration, interval and stand-in timing × s, load rate ÷ s (0.1–1; default 1, or the suite\'s timeScale)')
    .addOption(new Option('--address-block <k>', 'parallel labs: move the lab to loopback block 127.k.x.y').hideHelp())
    .addOption(new Option('--no-gate', 'with --repeat: do not gate the runs (baseline making)').hideHelp())
    .option('--parallel <n>', `a suite: run up to n scenarios at once, each in its own lab (default the suite's, else ${defaultParallelLabs()} from the core count)`)
    .action(async (path: string, flags: RunFlags) => {
      const suite = suiteFor(path);
      if (flags.repeat !== undefined) {
        if (suite) throw new HalabError('USAGE', '--repeat runs one scenario file, not a suite');
        if (!/^\d+$/.test(flags.repeat) || Number(flags.repeat) < 1) throw new HalabError('USAGE', `--repeat must be a positive integer, not "${flags.repeat}"`);
        if (!flags.scheduleOnly) {
          await runRepeatedCommand(path, Number(flags.repeat), flags);
          return;
        }
      }
      const files = suite ? suite.files : [path];
      const timeScale = flags.timeScale !== undefined ? parseTimeScale(flags.timeScale) : (suite?.timeScale ?? 1);
      const parallel = flags.parallel !== undefined ? positiveIntFlag('--parallel', flags.parallel, MAX_PARALLEL_LABS) : (suite?.parallel ?? defaultParallelLabs());
      const addressBlock = flags.addressBlock !== undefined ? positiveIntFlag('--address-block', flags.addressBlock, 250) : 0;
      const scaled = files.map((f) => atTimeScale(loadScenario(f), timeScale));
      for (const s of scaled) if (s.note) process.stderr.write(`${s.note}\n`);
      const scenarios = scaled.map((s) => s.scenario);
      // every file, its topology and its fault targets are validated before anything starts
      const schedules = scenarios.map((s) => {
        const seed = seedOf(flags, s);
        const topology = buildTopology(scenarioTopologyDoc(s), s.topology);
        return { scenario: s.name, seed, schedule: validatedSchedule(s, topology, scheduleFor(s, topology, seed)) };
      });
      if (flags.scheduleOnly) {
        process.stdout.write(JSON.stringify(suite ? schedules : schedules[0], null, 2) + '\n');
        return;
      }
      const outRoot = flags.out ?? join('reports', `${timestamp(realClock.nowMs())}-${suite ? suite.name : scenarios[0]!.name}`);
      const controller = new AbortController();
      // every later signal is ignored while the lab comes down (a second Ctrl-C, or the signal a
      // terminal sends a whole process group arriving beside a parent's own, must not kill the
      // process half-way and leave the lab behind; `halab down` is the way out of a stuck one)
      const onSignal = (): void => {
        if (controller.signal.aborted) return void process.stderr.write('still tearing the lab down (halab down if it hangs)\n');
        process.stderr.write('\ninterrupted: stopping load, healing faults, tearing the lab down...\n');
        controller.abort(new Error('interrupted'));
      };
      process.on('SIGINT', onSignal);
      process.on('SIGTERM', onSignal);
      const reports: RunReport[] = [];
      let interrupted = false;
      // In a suite, a scenario whose faults cannot run on this machine (no Toxiproxy, not root) is
      // skipped with the reason, and the others still run.
      const skipped = new Map<number, string>();
      if (suite) {
        scenarios.forEach((s, i) => {
          const topology = buildTopology(scenarioTopologyDoc(s), s.topology);
          const missing = topology.external ? [] : scenarioPrerequisites(schedules[i]!.schedule.map((f) => f.kind));
          if (missing.length > 0) skipped.set(i, missing.join('; '));
        });
      }
      for (const [i, why] of skipped) process.stdout.write(`SKIP  ${scenarios[i]!.name}: ${why}\n`);
      const t0 = realClock.nowMs();
      const cpu0 = cpuSecondsUsed();
      const load0 = loadavg();
      // longest first, so the long scenarios do not end up alone at the end
      const order = scenarios.map((_, i) => i).filter((i) => !skipped.has(i)).sort((a, b) => scenarios[b]!.durationMs - scenarios[a]!.durationMs);
      const workers = suite ? Math.min(parallel, order.length) : 1;
      if (suite) process.stderr.write(`suite ${suite.name}: ${order.length} scenario(s), ${workers} lab(s) at once, time scale ${timeScale}\n`);
      const labs = new LockstepGroup();
      // a child of a parallel suite: its parent says when its lab may start and put load on
      const lockstep = stdinLockstep(controller.signal);
      const results = await runOnWorkers(
        order,
        workers,
        async (i, worker) => {
          const scenario = scenarios[i]!;
          const seed = seedOf(flags, scenario);
          const outDir = suite ? join(outRoot, scenario.name) : outRoot;
          if (workers > 1) {
            // a parallel lab: a child `halab run` with its own HALAB_HOME and address block
            const args = ['run', files[i]!, '--out', outDir, '--seed', String(seed), '--time-scale', String(scenario.timeScale ?? 1)];
            const child = await runChildHalab(process.argv[1]!, args, worker, (line) => process.stderr.write(`[${scenario.name}] ${line}\n`), controller.signal, labs);
            const reportFile = join(outDir, 'report.json');
            if (!existsSync(reportFile)) throw new Error(`halab run ${files[i]} ended with ${child.signal ?? `exit ${child.code}`} and no report (see the lines above)`);
            const report = JSON.parse(readFileSync(reportFile, 'utf8')) as RunReport;
            process.stdout.write(formatSummary(report) + '\n');
            process.stdout.write(`report: ${join(outDir, 'report.md')}\nreproduce: ${report.reproduce.replace(/^halab run \S+/, `halab run ${files[i]}`)}\n`);
            return { runDir: outDir, report, interrupted: report.meta.interrupted };
          }
          const cpuBefore = cpuSecondsUsed();
          const tStart = realClock.nowMs();
          const result = await runScenario({
            scenario,
            scenarioFile: files[i]!,
            seed,
            outDir,
            paths: labPaths(),
            clock: realClock,
            signal: controller.signal,
            log: (line) => process.stderr.write(line + '\n'),
            ...(addressBlock > 0 ? { worker: addressBlock } : {}),
            ...(lockstep ? { lockstep } : {}),
          });
          // its lab is down and reaped: the CPU of this run and of its lab's processes (a parallel
          // suite's child prints it on stderr, which the parent passes on with the scenario's name)
          const used = cpuBetween(cpuBefore, cpuSecondsUsed());
          if (used) process.stderr.write(`cpu: ${scenario.name} ${((realClock.nowMs() - tStart) / 1000).toFixed(1)} s wall, CPU ${(used.self + used.children).toFixed(1)} s (halab ${used.self.toFixed(1)} s + lab ${used.children.toFixed(1)} s); load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}\n`);
          process.stdout.write(formatSummary(result.report) + '\n');
          process.stdout.write(`report: ${join(result.runDir, 'report.md')}\nreproduce: ${result.report.reproduce.replace(/^halab run \S+/, `halab run ${files[i]}`)}\n`);
          return result;
        },
        controller.signal,
      );
      const failedToRun: string[] = [];
      order.forEach((i, j) => {
        const r = results[j];
        if (r instanceof Error) failedToRun.push(`${scenarios[i]!.name}: ${r.message}`);
      });
      for (const r of results) {
        if (r === undefined || r instanceof Error) continue;
        reports.push(r.report);
        interrupted ||= r.interrupted;
      }
      interrupted ||= controller.signal.aborted;
      // the summary in the suite's order
      reports.sort((a, b) => scenarios.findIndex((s) => s.name === a.scenario.name) - scenarios.findIndex((s) => s.name === b.scenario.name));
      if (!suite && failedToRun.length) throw (results[0] as Error);
      const wallS = (realClock.nowMs() - t0) / 1000;
      if (suite) {
        writeFileSync(join(outRoot, 'junit.xml'), renderJunit(reports, suite.name));
        const lines = reports.map((r) => `${r.verdict.pass ? 'PASS' : 'FAIL'}  ${r.scenario.name.padEnd(28)} availability ${(r.metrics.availability * 100).toFixed(3)}%  failed ${r.metrics.requests.failed}  truncated ${r.metrics.requests.truncated}`);
        lines.push(...[...skipped].map(([i, why]) => `SKIP  ${scenarios[i]!.name.padEnd(28)} ${why}`));
        lines.push(...failedToRun.map((f) => `ERROR ${f}`));
        const summary = `suite ${suite.name}: ${reports.filter((r) => r.verdict.pass).length}/${scenarios.length} passed${skipped.size ? `, ${skipped.size} skipped` : ''}${failedToRun.length ? `, ${failedToRun.length} failed to run` : ''}; ${wallS.toFixed(0)} s wall, ${workers} lab(s) at once, time scale ${timeScale}\n${suiteCostLine(wallS, cpu0, cpuSecondsUsed(), load0, loadavg())}\n${lines.join('\n')}\n`;
        writeFileSync(join(outRoot, 'summary.txt'), summary);
        process.stdout.write(`\n${summary}junit: ${join(outRoot, 'junit.xml')}\n`);
      }
      process.exitCode = interrupted ? EXIT.interrupted : failedToRun.length ? EXIT.internal : !reports.every((r) => r.verdict.pass) ? EXIT.failed : skipped.size > 0 ? EXIT.badInput : EXIT.ok;
    });
}

/** `halab run <scenario> --repeat n`: n same-seed runs, each summarized, then one pooled gate verdict. */
async function runRepeatedCommand(path: string, runs: number, flags: RunFlags): Promise<void> {
  const scaled = atTimeScale(loadScenario(path), flags.timeScale !== undefined ? parseTimeScale(flags.timeScale) : 1);
  if (scaled.note) process.stderr.write(`${scaled.note}\n`);
  const scenario = scaled.scenario;
  const seed = seedOf(flags, scenario);
  const outRoot = flags.out ?? join('reports', `${timestamp(realClock.nowMs())}-${scenario.name}`);
  const controller = new AbortController();
  // later signals are ignored while the labs come down (see the single run above)
  const onSignal = (): void => void (controller.signal.aborted || controller.abort(new Error('interrupted')));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const lockstep = stdinLockstep(controller.signal);
  const result = await runRepeated({
    scenario,
    scenarioFile: path,
    seed,
    runs,
    outRoot,
    signal: controller.signal,
    log: (line) => process.stderr.write(line + '\n'),
    onRun: (r, dir, i) => process.stdout.write(`run ${i}/${runs}: ${formatSummary(r)}\nreport: ${join(dir, 'report.md')}\n`),
    ...(flags.addressBlock !== undefined ? { worker: positiveIntFlag('--address-block', flags.addressBlock, 250) } : {}),
    ...(lockstep ? { lockstep } : {}),
  });
  const targetsMet = result.reports.every((r) => r.verdict.pass);
  process.stdout.write(`\n${result.reports.filter((r) => r.verdict.pass).length}/${runs} runs met every target; runs in ${outRoot}\n`);
  let gatePass = true;
  const baseline = flags.baseline ?? defaultBaselineFile(scenario.name);
  if (flags.gate === false) process.stdout.write('not gated (--no-gate)\n');
  else if (!result.interrupted && existsSync(baseline)) {
    const [gated] = gateDirs([outRoot], { baseline, alpha: DEFAULT_GATE_ALPHA });
    process.stdout.write(renderGateText(gated!.result, gated!.baselineFile));
    gatePass = gated!.result.pass;
  } else if (!result.interrupted) process.stdout.write(`no baseline at ${baseline}: not gated (write one with \`halab baseline ${path}\`)\n`);
  process.exitCode = result.interrupted ? EXIT.interrupted : targetsMet && gatePass ? EXIT.ok : EXIT.failed;
}
