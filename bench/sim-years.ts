// Benchmark: simulated years per second of the default two-region topology (12 replicas) and of
// the same topology with every cluster 8× larger (96 replicas) under the default failure model, on
// one core (the simulator is single-threaded), plus the analytical model's speed. Wall and CPU
// time are both printed: CPU time is the figure that does not depend on what else shares the
// machine. Target (issue 19): 1,000 years of the 96-replica topology in ≤ 3 s.
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { DEFAULT_FAILURE_MODEL } from '../src/sim/failure-model.js';
import { analyticalAvailability, gpuCount, simTopology } from '../src/sim/model.js';
import { simulate, type SimTopology } from '../src/sim/simulator.js';

function scaled(t: SimTopology, factor: number): SimTopology {
  return { ...t, clusters: t.clusters.map((c) => ({ ...c, gpus: c.gpus * factor })) };
}

export async function benchSimYears(years = 1000): Promise<void> {
  const base = simTopology(loadTopology('cluster/two-region.yaml'));
  for (const topology of [base, scaled(base, 8)]) {
    const t0 = realClock.monoMs();
    const cpu0 = process.cpuUsage();
    const { summary } = simulate({ topology, failureModel: DEFAULT_FAILURE_MODEL }, years, 1);
    const simS = (realClock.monoMs() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const cpuS = (cpu.user + cpu.system) / 1e6;
    process.stdout.write(
      `${gpuCount(topology)} replicas: ${years} simulated years in ${simS.toFixed(2)} s wall, ${cpuS.toFixed(2)} s cpu: ${(years / simS).toFixed(0)} simulated years/s ` +
        `(${summary.failuresPerYear.toFixed(0)} failures/yr; availability ${summary.availability.mean.toFixed(9)})\n`,
    );
  }
  const t1 = realClock.monoMs();
  const runs = 50;
  for (let i = 0; i < runs; i++) analyticalAvailability(base, DEFAULT_FAILURE_MODEL);
  const anaMs = (realClock.monoMs() - t1) / runs;
  process.stdout.write(`analytical model: ${anaMs.toFixed(2)} ms per evaluation\n`);
}
