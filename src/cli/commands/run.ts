// `halab run [scenario] [--seed n] [--out dir]`: the lab's main job. Exit 0 when every target was
// met, 1 when one was missed, 2 on a usage or configuration error.
import type { Command } from 'commander';
import { join } from 'node:path';
import { realClock } from '../../core/clock.js';
import { EXIT, HalabError } from '../../core/errors.js';
import { loadScenario } from '../../core/scenario.js';
import { labPaths } from '../../lab/paths.js';
import { runScenario, scenarioTopologyDoc, scheduleFor } from '../../chaos/runner.js';
import { buildTopology } from '../../core/topology.js';
import { formatSummary } from '../../report/run-report.js';

export const DEFAULT_SCENARIO = 'scenarios/replica-crash.yaml';

function timestamp(ms: number): string {
  return new Date(ms).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

export function registerRun(program: Command): void {
  program
    .command('run')
    .description('run a chaos scenario end to end: lab up, load, faults, report, lab down')
    .argument('[scenario]', 'scenario file', DEFAULT_SCENARIO)
    .option('--seed <n>', 'override the scenario seed')
    .option('--out <dir>', 'run directory (default reports/<timestamp>-<scenario>)')
    .option('--schedule-only', 'print the fault schedule this seed gives, as JSON, and start nothing')
    .action(async (file: string, opts: { seed?: string; out?: string; scheduleOnly?: boolean }) => {
      const scenario = loadScenario(file);
      if (opts.seed !== undefined && !/^-?\d+$/.test(opts.seed)) throw new HalabError('USAGE', `--seed must be an integer, not "${opts.seed}"`);
      const seed = opts.seed !== undefined ? Number(opts.seed) : scenario.seed;
      if (opts.scheduleOnly) {
        const topology = buildTopology(scenarioTopologyDoc(scenario), scenario.topology);
        process.stdout.write(JSON.stringify({ scenario: scenario.name, seed, schedule: scheduleFor(scenario, topology, seed) }, null, 2) + '\n');
        return;
      }
      const outDir = opts.out ?? join('reports', `${timestamp(realClock.nowMs())}-${scenario.name}`);
      const controller = new AbortController();
      const onSignal = (): void => {
        process.stderr.write('\ninterrupted: stopping load, healing faults, tearing the lab down...\n');
        controller.abort(new Error('interrupted'));
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await runScenario({
        scenario,
        scenarioFile: file,
        seed,
        outDir,
        paths: labPaths(),
        clock: realClock,
        signal: controller.signal,
        log: (line) => process.stderr.write(line + '\n'),
      });
      process.stdout.write(formatSummary(result.report) + '\n');
      process.stdout.write(`report: ${join(result.runDir, 'report.md')}\nreproduce: halab run ${file} --seed ${seed}\n`);
      process.exitCode = result.interrupted ? 130 : result.report.verdict.pass ? EXIT.ok : EXIT.targetsMissed;
    });
}
