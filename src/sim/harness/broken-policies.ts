// Deliberately broken failover policies, to show that the harness's invariants and the year
// simulator's nines notice a policy that does not do its job (a check that cannot fail proves nothing).
import { stepFailover } from '../../policy/failover.js';

/** The live policy, except that no standby is ever promoted: a failed active cluster stays the one that serves. */
export const neverPromote: typeof stepFailover = (health, prev, nowMs, cfg) => {
  const step = stepFailover(health, prev, nowMs, cfg);
  return step.decisions.some((d) => d.type === 'cluster.promoted') ? { state: prev, decisions: [], actions: [] } : step;
};

export const FAILOVER_POLICIES: Readonly<Record<string, typeof stepFailover>> = Object.freeze({ live: stepFailover, 'never-promote': neverPromote });
