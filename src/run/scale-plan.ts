// What time scale each scenario of a run actually gets: the one asked for, unless its lab cannot
// be compressed (real engines, external endpoints), which runs at 1 with the reason.
import type { Scenario } from '../config/scenario.js';
import { buildTopology } from '../config/topology.js';
import { scenarioTopologyDoc } from './runner.js';
import { scaleScenario, uncompressibleReason } from './time-scale.js';

export interface ScaledScenario {
  readonly scenario: Scenario;
  /** Why the asked-for scale was not applied. */
  readonly note?: string;
}

/** The scenario at lab time scale s (or at 1 with a note when its lab cannot be compressed). */
export function atTimeScale(scenario: Scenario, s: number): ScaledScenario {
  if (s === 1) return { scenario };
  const why = uncompressibleReason(buildTopology(scenarioTopologyDoc(scenario), scenario.topology));
  if (why) return { scenario, note: `time scale ${s} not applied to ${scenario.name}: ${why}` };
  return { scenario: scaleScenario(scenario, s) };
}
