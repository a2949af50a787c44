// A scenario checked against its topology before anything starts: the client region exists, and
// every fault of the schedule the seed gives names a target of the right kind that the topology
// has. Errors name the scenario file and the field (exit 2).
import { ConfigError, HalabError } from '../core/errors.js';
import type { ResolvedFault, Scenario } from '../config/scenario.js';
import type { Topology } from '../config/topology.js';
import { resolveFault } from '../chaos/injectors.js';

/** Index of the scenario fault a resolved one came from (fault ids are s<i>-kind or s<i>.<n>-kind). */
function faultIndex(f: ResolvedFault): string {
  return /^s(\d+)/.exec(f.faultId)?.[1] ?? '?';
}

/** The schedule (from scheduleFor), every target resolved against `topology`; ConfigError naming the field otherwise. */
export function validatedSchedule(scenario: Scenario, topology: Topology, schedule: ResolvedFault[]): ResolvedFault[] {
  const region = scenario.load.clientRegion;
  if (region !== undefined && !topology.regions.some((r) => r.name === region)) {
    throw new ConfigError(scenario.file, 'load.clientRegion', `no region "${region}" in topology ${scenario.topology}; known: ${topology.regions.map((r) => r.name).join(', ')}`);
  }
  for (const f of schedule) {
    // client-side faults (load.*) are the load driver's; buildScenario checked their target
    if (f.target === 'clients' && f.kind.startsWith('load.')) continue;
    try {
      resolveFault(f.kind, f.target, topology);
    } catch (err) {
      if (!(err instanceof HalabError) || err.code === 'PREREQUISITE_MISSING') throw err;
      const i = faultIndex(f);
      const field = scenario.faults[Number(i)] && 'random' in scenario.faults[Number(i)]! ? `faults[${i}].random.target` : `faults[${i}].target`;
      throw new ConfigError(scenario.file, field, err.message);
    }
  }
  return schedule;
}
