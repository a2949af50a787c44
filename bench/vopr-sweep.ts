// Benchmark: the virtual-time harness's seed sweep on the default topology, on one core — seeds
// per second, simulated minutes of cluster life per wall second — and simulated years of the
// year simulator per second.
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { sweep } from '../src/sim/harness/sweep.js';

export async function benchVoprSweep(seeds = 200): Promise<void> {
  const topology = loadTopology('cluster/two-region.yaml');
  const t0 = realClock.monoMs();
  const result = await sweep({ topology, seeds, firstSeed: 1 });
  const wallS = (realClock.monoMs() - t0) / 1000;
  const simMin = result.simulatedMs / 60_000;
  process.stdout.write(
    `${seeds} seeds in ${wallS.toFixed(2)} s: ${(seeds / wallS).toFixed(1)} seeds/s, ` +
      `${(simMin / wallS).toFixed(0)} simulated minutes/s (${((simMin * topology.clusters.length) / wallS).toFixed(0)} cluster-minutes/s over ${topology.clusters.length} clusters), ` +
      `${result.violations.length} violation(s)\n`,
  );
}
