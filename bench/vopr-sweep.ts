// Benchmark: the virtual-time harness's seed sweep on the default topology, on one core — seeds
// per second and simulated minutes of cluster life per second, by wall time and by CPU time (the
// figure that does not depend on what else shares the machine).
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { sweep } from '../src/sim/harness/sweep.js';

export async function benchVoprSweep(seeds = 200): Promise<void> {
  const topology = loadTopology('cluster/two-region.yaml');
  const t0 = realClock.monoMs();
  const cpu0 = process.cpuUsage();
  const result = await sweep({ topology, seeds, firstSeed: 1, recheckEvery: 0 });
  const wallS = (realClock.monoMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const simMin = result.simulatedMs / 60_000;
  const clusters = topology.clusters.length;
  process.stdout.write(
    `${seeds} seeds, ${simMin.toFixed(0)} simulated minutes (${result.faults} faults), ${result.violations.length} violation(s)\n` +
      `wall ${wallS.toFixed(2)} s: ${(seeds / wallS).toFixed(1)} seeds/s, ${(simMin / wallS).toFixed(0)} simulated min/s, ${((simMin * clusters) / wallS).toFixed(0)} cluster-min/s (${clusters} clusters)\n` +
      `cpu  ${cpuS.toFixed(2)} s: ${(seeds / cpuS).toFixed(1)} seeds/s, ${(simMin / cpuS).toFixed(0)} simulated min/s, ${((simMin * clusters) / cpuS).toFixed(0)} cluster-min/s\n`,
  );
}
