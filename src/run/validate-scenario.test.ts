import { describe, expect, it } from 'vitest';
import { loadScenario } from '../config/scenario.js';
import { loadTopology } from '../config/topology.js';
import { scheduleFor } from './runner.js';
import { validatedSchedule } from './validate-scenario.js';

describe('validatedSchedule', () => {
  it('passes every shipped client-side fault scenario (load.* faults target the clients, not the lab)', () => {
    for (const name of ['load-surge', 'load-poison', 'load-retry-storm', 'load-disconnect-storm', 'load-slow-reader']) {
      const scenario = loadScenario(`scenarios/${name}.yaml`);
      const topology = loadTopology(scenario.topology);
      const schedule = scheduleFor(scenario, topology, scenario.seed);
      expect(validatedSchedule(scenario, topology, schedule).some((f) => f.target === 'clients')).toBe(true);
    }
  });
});
