// Benchmark: simulated years per second of the default two-region topology under the default
// failure model, on one core (the simulator is single-threaded), plus the analytical model's speed.
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { DEFAULT_FAILURE_MODEL } from '../src/sim/failure-model.js';
import { analyticalAvailability, simTopology } from '../src/sim/model.js';
import { simulate } from '../src/sim/simulator.js';

export async function benchSimYears(years = 1000): Promise<void> {
  const topology = simTopology(loadTopology('cluster/two-region.yaml'));
  const t0 = realClock.monoMs();
  const { summary } = simulate({ topology, failureModel: DEFAULT_FAILURE_MODEL }, years, 1);
  const simS = (realClock.monoMs() - t0) / 1000;
  const t1 = realClock.monoMs();
  const runs = 50;
  for (let i = 0; i < runs; i++) analyticalAvailability(topology, DEFAULT_FAILURE_MODEL);
  const anaMs = (realClock.monoMs() - t1) / runs;
  process.stdout.write(
    `${years} simulated years in ${simS.toFixed(2)} s: ${(years / simS).toFixed(0)} simulated years/s (${summary.failuresPerYear.toFixed(0)} failures/yr)\n` +
      `analytical model: ${anaMs.toFixed(2)} ms per evaluation\n`,
  );
}
