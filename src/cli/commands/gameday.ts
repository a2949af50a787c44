// `halab gameday`: the service under load with faults injected at random from a weighted
// catalogue, within blast-radius limits, aborting (and healing) when availability or the error
// budget crosses a bound. The plan is written as an ordinary scenario file, so a game day can be
// replayed exactly with `halab run <out>/gameday.yaml`.
import type { Command } from 'commander';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { realClock } from '../../core/clock.js';
import { parsePositiveDurationMs } from '../../core/duration.js';
import { HalabError } from '../../core/errors.js';
import { EXIT } from '../../core/exit-codes.js';
import { createRng } from '../../core/rng.js';
import { loadScenario } from '../../config/scenario.js';
import { loadTopology } from '../../config/topology.js';
import { DEFAULT_CATALOGUE, DEFAULT_GAMEDAY_PLAN, MAX_GAMEDAY_ARRIVALS, planGameday, type WeightedKind } from '../../policy/gameday-plan.js';
import { parseNumberFlag } from './number-flags.js';
import { faultKindInfo, faultKindNames, isClientFaultKind } from '../../config/fault-kinds.js';
import { runScenario } from '../../run/runner.js';
import { resolveFault } from '../../chaos/injectors.js';
import { labPaths } from '../../process/paths.js';
import { formatSummary } from '../../report/run-report.js';
import { DEFAULT_TOPOLOGY } from './lab-commands.js';

interface GamedayFlags {
  duration: string;
  seed: string;
  rate: string;
  meanInterval: string;
  minFault: string;
  maxFault: string;
  maxReplicas: string;
  abortAvailability: string;
  abortWindow: string;
  slo: string;
  maxBudgetBurn: string;
  kinds?: string;
  out?: string;
  planOnly?: boolean;
}

function fraction(text: string, what: string): number {
  return parseNumberFlag(what, text, { above: 0, max: 1 });
}

function catalogueOf(list: string): WeightedKind[] {
  return list.split(',').map((raw) => {
    const kind = raw.trim();
    if (!faultKindInfo(kind)) throw new HalabError('UNKNOWN_FAULT', `unknown fault kind "${kind}" in --kinds; known: ${faultKindNames().join(', ')}`);
    return { kind, weight: DEFAULT_CATALOGUE.find((k) => k.kind === kind)?.weight ?? 1 };
  });
}

export function registerGameday(program: Command): void {
  program
    .command('gameday')
    .description('run a game day: load plus random faults within a blast radius, with abort conditions and a report')
    .argument('[topology]', 'topology file', DEFAULT_TOPOLOGY)
    .option('--duration <d>', 'length of the game day', '10m')
    .option('--seed <n>', 'seed of the fault plan', '1')
    .option('--rate <n>', 'streaming requests per second', '20')
    .option('--mean-interval <d>', 'mean time between fault starts', '30s')
    .option('--min-fault <d>', 'shortest fault', '10s')
    .option('--max-fault <d>', 'longest fault', '45s')
    .option('--max-replicas <n>', 'blast radius: most replicas faulted at once (and always one region at a time)', '2')
    .option('--abort-availability <a>', 'abort when availability over the abort window falls below this', '0.95')
    .option('--abort-window <d>', 'window of the availability abort condition', '30s')
    .option('--slo <a>', 'availability objective; the error budget is (1 - slo) of the planned requests', '0.999')
    .option('--max-budget-burn <x>', 'abort when this share of the error budget is spent', '1')
    .option('--kinds <list>', 'comma-separated fault kinds to draw from (default: the weighted catalogue)')
    .option('--out <dir>', 'run directory (default reports/<timestamp>-gameday)')
    .option('--plan-only', 'print the fault plan as JSON and start nothing')
    .action(async (file: string, f: GamedayFlags) => {
      const topology = loadTopology(file);
      // every flag is checked before anything is planned or started
      if (!/^\d+$/.test(f.seed)) throw new HalabError('USAGE', `--seed must be a non-negative integer, not "${f.seed}"`);
      const seed = Number(f.seed);
      const durationMs = parsePositiveDurationMs(f.duration, '--duration');
      const rate = parseNumberFlag('--rate', f.rate, { above: 0, max: 5000 });
      const maxReplicas = parseNumberFlag('--max-replicas', f.maxReplicas, { integer: true, min: 1 });
      const meanIntervalMs = parsePositiveDurationMs(f.meanInterval, '--mean-interval');
      if (durationMs / meanIntervalMs > MAX_GAMEDAY_ARRIVALS) {
        throw new HalabError('USAGE', `--mean-interval ${f.meanInterval} over --duration ${f.duration} means more than ${MAX_GAMEDAY_ARRIVALS} faults`, `use a --mean-interval of at least ${Math.ceil(durationMs / MAX_GAMEDAY_ARRIVALS)}ms`);
      }
      const slo = fraction(f.slo, '--slo');
      const abortAvailability = fraction(f.abortAvailability, '--abort-availability');
      const abortWindowMs = parsePositiveDurationMs(f.abortWindow, '--abort-window');
      const maxBudgetBurn = parseNumberFlag('--max-budget-burn', f.maxBudgetBurn, { above: 0 });
      const planOpts = {
        ...DEFAULT_GAMEDAY_PLAN,
        durationMs,
        meanIntervalMs,
        minFaultMs: parsePositiveDurationMs(f.minFault, '--min-fault'),
        maxFaultMs: parsePositiveDurationMs(f.maxFault, '--max-fault'),
        maxReplicas,
        tailMs: Math.min(DEFAULT_GAMEDAY_PLAN.tailMs, durationMs / 4),
        ...(f.kinds ? { catalogue: catalogueOf(f.kinds) } : {}),
        // only targets the kind can be applied to (external endpoints need a configured command)
        injectable: (kind: string, target: string) => {
          // client-side faults are applied by the load driver, to the clients
          if (isClientFaultKind(kind)) return target === 'clients';
          try {
            resolveFault(kind, target, topology);
            return true;
          } catch {
            return false;
          }
        },
      };
      if (planOpts.minFaultMs > planOpts.maxFaultMs) throw new HalabError('USAGE', '--min-fault must not exceed --max-fault');
      const plan = planGameday(topology, planOpts, createRng(seed).fork('gameday'));
      if (f.planOnly) {
        process.stdout.write(JSON.stringify({ seed, durationMs, maxReplicas, plan }, null, 2) + '\n');
        return;
      }
      const outDir = f.out ?? join('reports', `${new Date(realClock.nowMs()).toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-gameday`);
      mkdirSync(outDir, { recursive: true });
      const scenarioFile = join(outDir, 'gameday.yaml');
      const doc = {
        name: 'gameday',
        description: `Game day: ${plan.length} random faults over ${f.duration}, at most ${maxReplicas} replicas and one region at a time (seed ${seed}).`,
        topology: file,
        seed,
        duration: durationMs,
        load: { ratePerSec: rate, streaming: true },
        faults: plan.map((p) => ({ kind: p.kind, target: p.target, at: p.atMs, for: p.forMs, ...(p.params ? { params: p.params } : {}) })),
        targets: { availability: slo },
      };
      writeFileSync(scenarioFile, `# Written by halab gameday; replay with: halab run ${scenarioFile}\n${toYaml(doc)}`);
      const controller = new AbortController();
      const onSignal = (): void => controller.abort(new Error('interrupted'));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      const result = await runScenario({
        scenario: loadScenario(scenarioFile),
        scenarioFile,
        seed,
        outDir,
        paths: labPaths(),
        clock: realClock,
        signal: controller.signal,
        log: (line) => process.stderr.write(line + '\n'),
        abort: {
          minWindowAvailability: abortAvailability,
          windowMs: abortWindowMs,
          slo,
          expectedRequests: (rate * durationMs) / 1000,
          maxBudgetBurn,
        },
      });
      process.stdout.write(formatSummary(result.report) + '\n');
      if (result.aborted) process.stdout.write(`ABORTED: ${result.aborted}\n`);
      process.stdout.write(`report: ${join(result.runDir, 'report.html')}\nreplay: halab run ${scenarioFile}\n`);
      process.exitCode = result.interrupted ? EXIT.interrupted : result.report.verdict.pass ? EXIT.ok : EXIT.failed;
    });
}
