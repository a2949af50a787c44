// `halab availability`, `halab simulate` and `halab plan`: annual nines for capacity planners.
import { EXIT } from '../../core/exit-codes.js';
import type { Command } from 'commander';
import { HalabError } from '../../core/errors.js';
import { loadTopology } from '../../config/topology.js';
import { checkAvailability, downtimeMinutesPerYear, formatPercent, nines } from '../../sim/conversions.js';
import { kOfN, markovKofN, seedClusterAvailability, seedMultiClusterAvailability } from '../../sim/analytical.js';
import { annualize, defaultFaultRates, loadRates, readImpacts } from '../../sim/annualize.js';
import { DEFAULT_FAILURE_MODEL, loadFailureModel, parseFailureModel, type FailureModel } from '../../sim/failure-model.js';
import { analyticalAvailability, simTopology } from '../../sim/model.js';
import { plan } from '../../sim/plan.js';
import { simulate } from '../../sim/simulator.js';
import { DEFAULT_TOPOLOGY } from './lab-commands.js';
import { checkCommand, replayCommand } from './sim-check.js';

function num(text: string, what: string): number {
  const n = Number(text);
  if (!Number.isFinite(n)) throw new HalabError('USAGE', `${what} must be a number, got "${text}"`);
  return n;
}

function int(text: string, what: string, min = 0): number {
  const n = num(text, what);
  if (!Number.isInteger(n) || n < min) throw new HalabError('USAGE', `${what} must be an integer >= ${min}, got "${text}"`);
  return n;
}

function failureModelFor(opts: { failureModel?: string }, topologyFile?: string): FailureModel {
  if (opts.failureModel) return loadFailureModel(opts.failureModel);
  if (topologyFile) {
    const t = loadTopology(topologyFile) as unknown as { failureModel?: unknown };
    if (t.failureModel) return parseFailureModel(t.failureModel, topologyFile);
  }
  return DEFAULT_FAILURE_MODEL;
}

const out = (o: unknown): void => void process.stdout.write(JSON.stringify(o, null, 2) + '\n');
const line = (s = ''): void => void process.stdout.write(s + '\n');
const fmt = (a: number): string => `${formatPercent(a, 7)}  (${nines(a).toFixed(2)} nines, ${downtimeMinutesPerYear(a).toFixed(2)} min/yr)`;

export function registerAvailability(program: Command): void {
  program
    .command('availability')
    .description("analytical availability; with no options, the seed's example and where its figures disagree with its formula")
    .option('--gpus <n>', 'GPUs per cluster', '4')
    .option('--gpu-availability <a>', 'availability of one GPU', '0.995')
    .option('--clusters <n>', 'parallel clusters', '2')
    .option('--min-healthy <k>', 'GPUs a cluster needs (default: gpus // 2, as the seed)')
    .option('--mttr-hours <h>', 'GPU repair time, for the Markov model with one repair crew', '4')
    .option('--json', 'print JSON')
    .action((opts: { gpus: string; gpuAvailability: string; clusters: string; minHealthy?: string; mttrHours: string; json?: boolean }) => {
      const n = int(opts.gpus, '--gpus', 1);
      const a = checkAvailability(num(opts.gpuAvailability, '--gpu-availability'), '--gpu-availability');
      if (a === 1) throw new HalabError('USAGE', '--gpu-availability of 1 means a GPU never fails: nothing to model');
      const clusters = int(opts.clusters, '--clusters', 1);
      const k = opts.minHealthy ? int(opts.minHealthy, '--min-healthy', 1) : Math.floor(n / 2);
      const mttr = num(opts.mttrHours, '--mttr-hours');
      const seedCluster = seedClusterAvailability(n, a);
      const multi = seedMultiClusterAvailability(seedCluster, clusters);
      const repairRate = 1 / mttr;
      const failRate = repairRate * ((1 - a) / a);
      const oneCrew = markovKofN(Math.max(1, k), n, failRate, repairRate, 1);
      const fm = DEFAULT_FAILURE_MODEL;
      const topo = simTopology(loadTopology(DEFAULT_TOPOLOGY));
      const extended = analyticalAvailability(topo, fm);
      const result = {
        inputs: { gpus: n, gpuAvailability: a, clusters, minHealthy: k, mttrHours: mttr },
        seedFormula: { cluster: seedCluster, multiCluster: multi },
        seedClaims: { gpu: 0.995, cluster: 0.999, multiCluster: 0.9999, multiRegion: 0.99995, achieved: 0.99994 },
        markovOneRepairCrew: oneCrew,
        kOfN: kOfN(k, n, a),
        defaultTopology: { failureModel: fm, ...extended },
      };
      if (opts.json) return out(result);
      line(`Seed's formula (AvailabilityCalculator), ${n} GPUs at ${a} needing ${k}:`);
      line(`  cluster           ${fmt(seedCluster)}`);
      line(`  ${clusters} clusters        ${fmt(multi)}`);
      line('');
      line("Where the seed's own figures disagree with its formula:");
      line(`  it claims a 4-GPU cluster is 99.9%; its binomial gives ${formatPercent(seedCluster, 7)} (${nines(seedCluster).toFixed(1)} nines).`);
      line(`  it claims two clusters give 99.99%; 1-(1-0.999)^2 is 99.9999%, and with its own cluster figure 1 − ${(1 - multi).toExponential(2)}.`);
      line('  Both gaps have one cause: the binomial assumes GPUs fail independently and fail over instantly. Real');
      line('  clusters share a switch, a driver and a power feed (common-mode failures), and every failure costs its');
      line('  detection and failover time even with a spare. Those, not GPU count, set the nines:');
      line('');
      line(`With repair (Markov chain, MTTR ${mttr} h, one repair crew): cluster ${fmt(oneCrew)}`);
      line(`Default two-region topology under the default failure model (common mode, repairs, failover time):`);
      for (const [id, v] of Object.entries(extended.perCluster)) line(`  cluster ${id.padEnd(20)} ${fmt(v)}`);
      line(`  service, structural  ${fmt(extended.structural)}`);
      line(`  failover + bad-deploy loss ${(extended.transientLoss * 525_960).toFixed(2)} min/yr`);
      line(`  service             ${fmt(extended.availability)}`);
    });
}

export function registerSimulate(program: Command): void {
  program
    .command('simulate')
    .description('simulate years of failures of a topology (discrete events, seeded), or annualize measured runs with --impacts')
    .argument('[topology]', 'topology file (its failureModel block is used when present)', DEFAULT_TOPOLOGY)
    .option('--years <n>', 'simulated years', '1000')
    .option('--seed <n>', 'seed', '1')
    .option('--failure-model <file>', 'failure model (YAML or JSON)')
    .option('--no-transients', 'leave out the detection and failover seconds of each failure')
    .option('--impacts <run-dir...>', 'annualize the measured per-fault impact of these `halab run` directories')
    .option('--rates <file>', 'yearly rates per fault kind for --impacts (YAML map kind: perYear)')
    .option('--check', 'run the real control plane, chaos engine and routing in virtual time over random fault histories and check every invariant')
    .option('--seeds <n>', 'with --check: how many seeds (one fault history each)', '200')
    .option('--first-seed <n>', 'with --check: the first seed', '1')
    .option('--replay <seed>', 'run one seed through the virtual-time harness and print every decision')
    .option('--failover-policy <name>', 'with --check/--replay: live, or never-promote (a deliberately broken policy the checks must catch)', 'live')
    .option('--json', 'print JSON')
    .action(async (file: string, opts: { years: string; seed: string; failureModel?: string; transients: boolean; impacts?: string[]; rates?: string; json?: boolean; check?: boolean; seeds: string; firstSeed: string; replay?: string; failoverPolicy: string }) => {
      if (opts.replay !== undefined) return replayCommand(loadTopology(file), int(opts.replay, '--replay'), opts.json ?? false, opts.failoverPolicy);
      if (opts.check) return checkCommand(loadTopology(file), { seeds: int(opts.seeds, '--seeds', 1), firstSeed: int(opts.firstSeed, '--first-seed'), json: opts.json ?? false, policy: opts.failoverPolicy });
      const topology = simTopology(loadTopology(file));
      const fm = failureModelFor(opts, file);
      if (opts.impacts) {
        const rates = { ...defaultFaultRates(topology, fm), ...(opts.rates ? loadRates(opts.rates) : {}) };
        const result = annualize(readImpacts(opts.impacts), rates);
        if (opts.json) return out(result);
        line('fault kind           measured  error-s/occurrence  failed/occurrence  per year  downtime min/yr');
        for (const k of result.kinds) {
          line(`${k.kind.padEnd(20)} ${String(k.occurrencesMeasured).padStart(8)}  ${k.errorSecondsPerOccurrence.toFixed(3).padStart(18)}  ${k.failedRequestsPerOccurrence.toFixed(2).padStart(17)}  ${k.perYear.toFixed(1).padStart(8)}  ${k.downtimeMinutesPerYear.toFixed(3).padStart(15)}`);
        }
        line(`total: ${result.downtimeMinutesPerYear.toFixed(3)} min/yr → ${fmt(result.availability)}`);
        return;
      }
      const years = int(opts.years, '--years', 1);
      const seed = int(opts.seed, '--seed');
      const { summary } = simulate({ topology, failureModel: fm, failoverTransients: opts.transients }, years, seed);
      const analytical = analyticalAvailability(topology, fm);
      const result = { topology: file, summary, analytical };
      if (opts.json) return out(result);
      line(`${years} simulated years of ${file} (seed ${seed}):`);
      line(`  availability   mean ${fmt(summary.availability.mean)}`);
      line(`                 99% CI [${formatPercent(summary.availability.ci99[0], 7)}, ${formatPercent(summary.availability.ci99[1], 7)}], p5 ${formatPercent(summary.availability.p5, 7)}, worst year ${formatPercent(summary.availability.worst, 7)}`);
      line(`  downtime/year  mean ${summary.downtimeMinutes.mean.toFixed(2)} min, p95 ${summary.downtimeMinutes.p95.toFixed(2)} min, worst ${summary.downtimeMinutes.worst.toFixed(2)} min`);
      line(`  full outages   ${summary.outagesPerYear.toFixed(3)}/yr, mean ${summary.meanOutageMinutes.toFixed(1)} min; failover transients ${summary.transientSecondsPerYear.toFixed(1)} s/yr; ${summary.failuresPerYear.toFixed(1)} failures/yr`);
      line(`  analytical     ${fmt(analytical.availability)}`);
    });
}

export function registerPlan(program: Command): void {
  program
    .command('plan')
    .description('find the cheapest topology (fewest GPUs) that meets an availability target')
    .requiredOption('--target <a>', 'availability target, e.g. 0.9999')
    .option('--capacity <gpus>', 'GPUs one region needs to carry the whole load (default 2: the seed serves on at least half of a 4-GPU cluster)', '2')
    .option('--max-regions <n>', 'most regions to consider', '3')
    .option('--max-gpus <n>', 'most GPUs in total', '64')
    .option('--years <n>', 'simulated years to confirm each candidate', '300')
    .option('--seed <n>', 'seed', '1')
    .option('--failure-model <file>', 'failure model (YAML or JSON)')
    .option('--json', 'print JSON')
    .action((opts: { target: string; capacity: string; maxRegions: string; maxGpus: string; years: string; seed: string; failureModel?: string; json?: boolean }) => {
      const fm = failureModelFor(opts);
      const result = plan({
        target: num(opts.target, '--target'),
        failureModel: fm,
        capacityGpus: int(opts.capacity, '--capacity', 1),
        maxRegions: int(opts.maxRegions, '--max-regions', 1),
        maxGpusPerCluster: 8,
        maxBackups: 2,
        maxGpus: int(opts.maxGpus, '--max-gpus', 1),
        simYears: int(opts.years, '--years', 1),
        seed: int(opts.seed, '--seed'),
      });
      if (opts.json) return out(result);
      line(`target ${formatPercent(result.target, 5)}: searched ${result.searched} topologies`);
      for (const c of result.confirmed) {
        line(`  ${c.gpus} GPUs: ${c.regions} region(s) × (primary ${c.gpusPerPrimary}${c.backups ? ` + ${c.backups} backup × ${c.gpusPerBackup}` : ''})  analytical ${formatPercent(c.analytical, 6)}  simulated ${formatPercent(c.simulated!.mean, 6)} over ${c.simulated!.years} yr`);
      }
      if (!result.best) {
        line('no candidate met the target; raise --max-gpus or --max-regions, or improve the failure model');
        process.exitCode = EXIT.failed;
        return;
      }
      const b = result.best;
      line(`cheapest: ${b.gpus} GPUs — ${b.regions} region(s), each a primary cluster of ${b.gpusPerPrimary}${b.backups ? ` and ${b.backups} backup cluster(s) of ${b.gpusPerBackup}` : ''}`);
    });
}
