// Benchmark: the virtual-time harness's seed sweep on the default topology, on one core — seeds
// per second and simulated minutes per second, by wall time and by CPU time (the figure that
// depends less on what else shares the machine). "Simulated minutes" are lab minutes: the sum
// over seeds of each run's virtual duration, for the whole lab (every region, cluster and replica
// at once). Cluster-minutes are lab minutes × the topology's clusters; both are printed, and the
// issue's target (1,000 simulated minutes per wall second) is compared against lab minutes.
import { readFileSync } from 'node:fs';
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { sweep } from '../src/sim/harness/sweep.js';

const TARGET_LAB_MIN_PER_WALL_S = 1000;

function loadAverage(): string {
  try {
    return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  } catch {
    return 'unknown';
  }
}

export async function benchVoprSweep(seeds = 200): Promise<void> {
  const topology = loadTopology('cluster/two-region.yaml');
  const loadBefore = loadAverage();
  const t0 = realClock.monoMs();
  const cpu0 = process.cpuUsage();
  const result = await sweep({ topology, seeds, firstSeed: 1, recheckEvery: 0 });
  const wallS = (realClock.monoMs() - t0) / 1000;
  const cpu = process.cpuUsage(cpu0);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  const simMin = result.simulatedMs / 60_000;
  const clusters = topology.clusters.length;
  const perWall = simMin / wallS;
  process.stdout.write(
    `${seeds} seeds (1–${seeds}), ${simMin.toFixed(0)} simulated lab minutes = ${(simMin * clusters).toFixed(0)} cluster-minutes (${clusters} clusters, ${topology.replicas.length} replicas), ${result.faults} faults, ${result.requests.total} client requests, ${result.violations.length} violation(s)\n` +
      `wall ${wallS.toFixed(2)} s: ${(seeds / wallS).toFixed(1)} seeds/s, ${perWall.toFixed(0)} lab min/s, ${((simMin * clusters) / wallS).toFixed(0)} cluster-min/s\n` +
      `cpu  ${cpuS.toFixed(2)} s: ${(seeds / cpuS).toFixed(1)} seeds/s, ${(simMin / cpuS).toFixed(0)} lab min/s, ${((simMin * clusters) / cpuS).toFixed(0)} cluster-min/s\n` +
      `target ${TARGET_LAB_MIN_PER_WALL_S} lab min per wall second: ${perWall >= TARGET_LAB_MIN_PER_WALL_S ? 'met' : `NOT met (${((100 * perWall) / TARGET_LAB_MIN_PER_WALL_S).toFixed(0)} %)`}; load average ${loadBefore} before, ${loadAverage()} after\n`,
  );
}
