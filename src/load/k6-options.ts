// What a scenario gives a driver beyond the common load options: the client-side thresholds k6
// evaluates (from the scenario's ttftP99 and availability targets) and k6's VU counts.
import type { Scenario } from '../config/scenario.js';
import type { LoadRunOptions } from './driver.js';

export function k6LoadOptions(s: Scenario): Pick<LoadRunOptions, 'thresholds' | 'preAllocatedVUs' | 'maxVUs'> {
  const t = s.targets;
  const thresholds = { ...(t.ttftP99Ms !== undefined ? { ttftP99Ms: t.ttftP99Ms } : {}), ...(t.availability !== undefined ? { availability: t.availability } : {}) };
  return {
    ...(Object.keys(thresholds).length ? { thresholds } : {}),
    ...(s.load.preAllocatedVUs !== undefined ? { preAllocatedVUs: s.load.preAllocatedVUs } : {}),
    ...(s.load.maxVUs !== undefined ? { maxVUs: s.load.maxVUs } : {}),
  };
}
