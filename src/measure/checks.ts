// Targets against actuals: one check per target the scenario sets, and the verdict.
import type { Targets } from '../config/scenario.js';
import type { Check } from '../record/check.js';
import type { RunMetrics } from './run-metrics.js';
import { REGION_FAILOVER_KINDS } from './faults.js';


export interface Verdict {
  readonly pass: boolean;
  readonly checks: readonly Check[];
}

function atMost(name: string, limit: number | undefined, actual: number | null, unit = '', missing?: string): Check[] {
  if (limit === undefined) return [];
  const pass = actual !== null && actual <= limit;
  return [{ name, target: `<= ${limit}${unit}`, actual, pass, ...(actual === null && missing ? { detail: missing } : {}) }];
}

/** Worst value over faults, or null when any fault lacks the figure (not measured = not met). */
function worst(values: readonly (number | null)[]): number | null {
  if (values.length === 0) return 0;
  return values.some((v) => v === null) ? null : Math.max(...(values as number[]));
}

/** Expected outcome of each scenario deploy, in order (undefined: any outcome). */
export type DeployExpectations = readonly (string | undefined)[];

function deployChecks(targets: Targets, m: RunMetrics, expectations: DeployExpectations): Check[] {
  const checks: Check[] = [];
  const ds = m.deploys;
  expectations.forEach((expect, i) => {
    if (!expect) return;
    const d = ds[i];
    checks.push({ name: `deploy[${i}].outcome`, target: expect, actual: d ? (d.outcome === expect ? 1 : 0) : null, pass: d?.outcome === expect, detail: d ? `${d.strategy} ${d.version}: ${d.outcome}${d.reason ? ` — ${d.reason}` : ''}` : 'the deployment never started' });
    if (!d) return;
    const expected = expect === 'succeeded' ? d.version : d.fromVersion;
    const off = Object.entries(d.finalVersions).filter(([, v]) => v !== expected);
    // the last deployment decides where the fleet should end
    if (i === expectations.length - 1) {
      checks.push({ name: `deploy[${i}].consistent`, target: `every replica on ${expected}`, actual: off.length, pass: off.length === 0, ...(off.length ? { detail: off.map(([id, v]) => `${id} on ${v}`).join(', ') } : {}) });
    }
    if (expect === 'rolled-back' && d.canaryShare !== null) {
      checks.push({ name: `deploy[${i}].newVersionShare`, target: `<= ${d.canaryShare}`, actual: d.newVersionShare, pass: d.newVersionShare <= d.canaryShare });
    }
  });
  if (targets.deployTtftRatio !== undefined) {
    const ratios = ds.filter((d) => d.outcome === 'succeeded').map((d) => d.ttftRatio);
    checks.push(...atMost('deployTtftRatio', targets.deployTtftRatio, ratios.length ? worst(ratios) : null, '', 'no deployment succeeded with a steady-state sample'));
  }
  if (targets.deployDetectionMs !== undefined) {
    const rolled = ds.filter((d) => d.outcome === 'rolled-back').map((d) => d.detectionMs);
    checks.push(...atMost('deployDetectionMs', targets.deployDetectionMs, rolled.length ? worst(rolled) : null, 'ms', 'no deployment was rolled back'));
  }
  return checks;
}

export function evaluateTargets(targets: Targets, m: RunMetrics, expectations: DeployExpectations = []): Verdict {
  const checks: Check[] = [];
  if (targets.availability !== undefined) {
    checks.push({ name: 'availability', target: `>= ${targets.availability}`, actual: m.availability, pass: m.availability >= targets.availability });
  }
  checks.push(...atMost('failedRequests', targets.failedRequests, m.requests.failed + m.requests.timedOut));
  checks.push(...atMost('truncatedRequests', targets.truncatedRequests, m.requests.truncated));
  checks.push(...atMost('wrongAnswers', targets.wrongAnswers, m.requests.wrongAnswers));
  checks.push(...atMost('ttftP99Ms', targets.ttftP99Ms, m.latency.ttftMs.p99, 'ms', 'no request produced a token'));
  // Faults with something to detect: affected replicas, or a region the GLB must leave.
  const faults = m.faults.filter((f) => f.replicas.length > 0 || REGION_FAILOVER_KINDS.has(f.kind));
  checks.push(...atMost('detectionMs', targets.detectionMs, worst(faults.map((f) => f.detectionMs)), 'ms', 'a fault was never detected'));
  checks.push(...atMost('failoverMs', targets.failoverMs, worst(faults.map((f) => f.failoverMs)), 'ms', 'a faulty replica never left routing'));
  checks.push(...atMost('rtoMs', targets.rtoMs, worst(m.faults.map((f) => f.rtoMs)), 'ms'));
  checks.push(...atMost('leaderChangeMs', targets.leaderChangeMs, m.leaderChangeMs ?? null, 'ms', 'no controlplane.kill-leader was followed by a new leader'));
  checks.push(...atMost('rpoMs', targets.rpoMs, m.rpoMs ?? null, 'ms', 'no stored writes were read back (load.store off?)'));
  checks.push(...atMost('lostWrites', targets.lostWrites, m.lostWrites ?? null, '', 'no stored writes were read back (load.store off?)'));
  checks.push(...atMost('restoreMs', targets.restoreMs, m.restoreMs ?? null, 'ms', 'no restore finished after controlplane.disaster'));
  checks.push(...deployChecks(targets, m, expectations));
  checks.push(...atMost('clientFaultTtftRatio', targets.clientFaultTtftRatio, m.clientFaults?.ttftRatio ?? null, '', 'no well-behaved request produced a token during a client-side fault, or none outside every fault'));
  if (targets.shedShare !== undefined) {
    const shedding = (m.clientFaults?.classes ?? []).filter((c) => c.clientClass === 'load.surge' || c.clientClass === 'load.retry-storm');
    const actual = shedding.length ? Math.min(...shedding.map((c) => c.shedShare)) : null;
    checks.push({ name: 'shedShare', target: `>= ${targets.shedShare}`, actual, pass: actual !== null && actual >= targets.shedShare, ...(actual === null ? { detail: 'no load.surge or load.retry-storm clients ran' } : {}) });
  }
  if (targets.retryAmplification !== undefined) {
    const a = m.clientFaults?.retryAmplification;
    const actual = a ? Math.max(a.glb, a.gateway) : null;
    checks.push({ name: 'retryAmplification', target: `<= ${targets.retryAmplification}`, actual, pass: actual !== null && actual <= targets.retryAmplification, ...(a ? { detail: `GLB ${a.glb} (${a.glbRetries} retries), gateways ${a.gateway} (${a.gatewayRetries} retries) over ${a.requests} admitted requests` } : { detail: 'no client-side fault ran' }) });
  }
  return { pass: checks.every((c) => c.pass), checks };
}
