// Builds the simulator's and the analytical model's view of a topology under a failure model, so
// `halab simulate` and `halab plan` compare like with like.
import { DEFAULT_HEALTH_POLICY, type HealthPolicyConfig } from '../policy/health.js';
import { createRng } from '../core/rng.js';
import type { Topology } from '../config/topology.js';
import { clusterAvailability, failoverLoss, rateAvailability, serviceAvailability, type ClusterModel, type RegionModel } from './analytical.js';
import { detectionMs, type FailureSignature } from './detection.js';
import { gpuFailuresPerYear, type FailureModel } from './failure-model.js';
import type { SimTopology } from './simulator.js';

export function simTopology(t: Topology): SimTopology {
  return {
    regions: t.regions.map((r) => r.name),
    clusters: t.clusters.map((c) => ({ id: c.id, region: c.region, role: c.role, gpus: c.gpus, minHealthyFraction: c.minHealthyFraction })),
  };
}

/** Mean detection time of a failure signature under the health policy (seconds). */
export function meanDetectionS(signature: FailureSignature, policy: HealthPolicyConfig = DEFAULT_HEALTH_POLICY): number {
  const rng = createRng('mean-detection');
  let total = 0;
  const n = 256;
  for (let i = 0; i < n; i++) total += detectionMs(signature, policy, rng);
  return total / n / 1000;
}

function replicaAvailability(fm: FailureModel): number {
  return fm.gpu.availability * rateAvailability(fm.replicaSoftware);
}

function clusterModel(c: SimTopology['clusters'][number], fm: FailureModel): ClusterModel {
  return { gpus: c.gpus, minHealthy: Math.ceil(c.minHealthyFraction * c.gpus), replicaAvailability: replicaAvailability(fm), commonMode: fm.cluster };
}

export interface AnalyticalResult {
  /** Up while some region has a cluster at or above its threshold, ignoring transients. */
  readonly structural: number;
  /** Availability lost per year to failover transients and bad deploys. */
  readonly transientLoss: number;
  readonly availability: number;
  readonly perCluster: Readonly<Record<string, number>>;
}

export function analyticalAvailability(t: SimTopology, fm: FailureModel, policy: HealthPolicyConfig = DEFAULT_HEALTH_POLICY): AnalyticalResult {
  const regions: RegionModel[] = t.regions.map((name) => {
    const inRegion = t.clusters.filter((c) => c.region === name);
    const primary = inRegion.find((c) => c.role === 'primary') ?? inRegion[0]!;
    return {
      primary: clusterModel(primary, fm),
      backups: inRegion.filter((c) => c !== primary).map((c) => clusterModel(c, fm)),
      commonMode: fm.region,
    };
  });
  const structural = serviceAvailability(regions);
  // Each serving component's failure costs its traffic share × detection time; summed over the
  // serving replicas (or primary clusters, or regions) of every region, the shares add up to one
  // component's rate with a share of 1.
  const transientLoss = failoverLoss([
    { eventsPerYear: gpuFailuresPerYear(fm), secondsPerEvent: meanDetectionS('fatal', policy), trafficShare: 1 },
    { eventsPerYear: fm.replicaSoftware.perYear, secondsPerEvent: meanDetectionS('disconnect', policy), trafficShare: 1 },
    { eventsPerYear: fm.cluster.perYear, secondsPerEvent: meanDetectionS('timeout', policy), trafficShare: 1 },
    { eventsPerYear: fm.region.perYear, secondsPerEvent: meanDetectionS('timeout', policy), trafficShare: 1 },
    { eventsPerYear: fm.badDeploy.perYear, secondsPerEvent: fm.badDeploy.detectMinutes * 60, trafficShare: fm.badDeploy.trafficShare },
  ]);
  const perCluster = Object.fromEntries(t.clusters.map((c) => [c.id, clusterAvailability(clusterModel(c, fm))]));
  return { structural, transientLoss, availability: structural - transientLoss, perCluster };
}

/** Total GPUs of a simulated topology (the cost capacity planning minimizes). */
export function gpuCount(t: SimTopology): number {
  return t.clusters.reduce((s, c) => s + c.gpus, 0);
}
