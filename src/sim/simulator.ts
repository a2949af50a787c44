// A discrete-event simulator of the service over years, on a VirtualClock (one event queue ordered
// by time and sequence) and one seeded Rng. Components fail and are repaired; the live control
// plane's failover policy decides which clusters serve, and the service counts as up only while
// the global load balancer's region choice finds a region whose *serving* clusters can carry the
// traffic — what the policy actually serves, not whether some cluster somewhere is healthy. The
// live health policy gives each failure's detection time (its client-visible transient). Time only
// moves from event to event, so healthy hours cost nothing. The virtual-time harness
// (src/sim/harness/) runs the whole real control plane for minutes; this runs its policies for years.
import { VirtualClock } from '../core/clock.js';
import type { Rng } from '../core/rng.js';
import { createRng } from '../core/rng.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicyConfig } from '../policy/health.js';
import { DEFAULT_FAILOVER_CONFIG, drainFinished, initialFailoverState, servingClusters, stepFailover, type FailoverState } from '../policy/failover.js';
import { initialRegionState, preferredTargets, type RegionState } from '../policy/region-choice.js';
import { HOURS_PER_YEAR } from './conversions.js';
import { detectionMs, type FailureSignature } from './detection.js';
import { gpuFailuresPerYear, type FailureModel } from './failure-model.js';
import { FleetCounts } from './fleet-counts.js';

export interface SimCluster {
  readonly id: string;
  readonly region: string;
  readonly role: 'primary' | 'backup';
  readonly gpus: number;
  readonly minHealthyFraction: number;
}

export interface SimTopology {
  readonly regions: readonly string[];
  readonly clusters: readonly SimCluster[];
}

export interface SimOptions {
  readonly topology: SimTopology;
  readonly failureModel: FailureModel;
  readonly policy?: HealthPolicyConfig;
  /** Count the detection + failover seconds of failures that carried traffic (default true). */
  readonly failoverTransients?: boolean;
  /** The failover policy's step (the live one by default; a test swaps in a broken one). */
  readonly failoverStep?: typeof stepFailover;
  /** Leave out components for exact comparisons with analytical models. */
  readonly include?: Partial<Record<'gpu' | 'replicaSoftware' | 'cluster' | 'region' | 'badDeploy', boolean>>;
}

export interface YearResult {
  readonly availability: number;
  readonly downtimeMinutes: number;
  /** Full outages: no region could serve. */
  readonly outages: number;
  readonly longestOutageMinutes: number;
  /** Seconds of traffic-weighted failover transients and bad-deploy impact. */
  readonly transientSeconds: number;
  readonly failures: number;
}

const MS_PER_HOUR = 3_600_000;
const YEAR_MS = HOURS_PER_YEAR * MS_PER_HOUR;

function drawRepairMs(mttrHours: number, dist: { distribution: string; sigma: number }, rng: Rng): number {
  const meanMs = mttrHours * MS_PER_HOUR;
  if (dist.distribution === 'fixed') return meanMs;
  if (dist.distribution === 'lognormal') {
    // mean of lognormal = exp(mu + sigma^2/2): choose mu so the mean is the MTTR
    const mu = Math.log(meanMs) - (dist.sigma * dist.sigma) / 2;
    const u1 = 1 - rng.next();
    const u2 = rng.next();
    return Math.exp(mu + dist.sigma * Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2));
  }
  return rng.exponential(meanMs);
}

/** Simulates one year; deterministic for a given rng. */
export function simulateYear(opts: SimOptions, rng: Rng): YearResult {
  const { topology, failureModel: fm } = opts;
  const policy = opts.policy ?? DEFAULT_HEALTH_POLICY;
  const include = { gpu: true, replicaSoftware: true, cluster: true, region: true, badDeploy: true, ...opts.include };
  const transients = opts.failoverTransients ?? true;
  const stepPolicy = opts.failoverStep ?? stepFailover;
  /** Bound on policy steps per event: the live edge re-steps on every change until nothing moves. */
  const stepsPerEventMax = 8;
  const clock = new VirtualClock(0);

  // state: active failures per replica, cluster and region, counted incrementally (O(1) an event)
  const counts = new FleetCounts(topology);
  const clusterIndex = new Map(topology.clusters.map((c, i) => [c.id, i]));
  const regionIndex = new Map(topology.regions.map((r, i) => [r, i]));
  const clustersIn = new Map(topology.regions.map((r) => [r, topology.clusters.filter((c) => c.region === r)]));
  const minHealthy = topology.clusters.map((c) => Math.ceil(c.minHealthyFraction * c.gpus));

  let failover: FailoverState = initialFailoverState(topology.clusters, clock.nowMs());
  let serving: ReadonlySet<string> = servingClusters(failover);
  let up = true;
  let downSinceMs = 0;
  let downtimeMs = 0;
  let outages = 0;
  let longestMs = 0;
  let transientMs = 0;
  let failures = 0;

  const healthyIn = (c: SimCluster): number => counts.healthyIn(clusterIndex.get(c.id)!);
  const clusterOk = (c: SimCluster): boolean => healthyIn(c) >= minHealthy[clusterIndex.get(c.id)!]!;
  /** A region serves while its infrastructure is up and a cluster the policy serves meets its threshold. */
  const regionServes = (r: string): boolean => counts.regionUp(regionIndex.get(r)!) && clustersIn.get(r)!.some((c) => serving.has(c.id) && clusterOk(c));
  /** Up while the GLB's region choice has a region that serves for every home region. */
  const served = (): boolean => {
    const states: RegionState[] = topology.regions.map((r) => ({ ...initialRegionState(r), health: regionServes(r) ? 'healthy' : 'unhealthy' }));
    return [...preferredTargets(states, clock.nowMs()).values()].every((t) => t !== undefined);
  };

  // Between decisions the live policy reads a cluster's health only through clusterOk, and the
  // service's state only through the same flags and the regions': an event that flips none of them
  // — most replica failures and repairs in a large cluster — after a step that reached its
  // fixpoint cannot change what serves, unless a planned failback is due (time-dependent), so the
  // policy's step and the served check are skipped for it (same result; see simulator.test.ts).
  const nC = topology.clusters.length;
  const flags = new Uint8Array(2 * nC + topology.regions.length);
  const lastFlags = new Uint8Array(flags.length);
  let fixpoint = false;
  const skippable = stepPolicy === stepFailover;
  const gpus = topology.clusters.map((c) => c.gpus);
  const fractions = topology.clusters.map((c) => c.minHealthyFraction);
  const flagsUnchanged = (): boolean => {
    let same = true;
    const set = (i: number, v: number): void => {
      if (lastFlags[i] !== v) same = false;
      flags[i] = v;
      lastFlags[i] = v;
    };
    for (let i = 0; i < nC; i++) {
      const h = counts.healthyIn(i);
      set(i, gpus[i]! > 0 && h / gpus[i]! >= fractions[i]! ? 1 : 0);
      set(nC + i, h >= minHealthy[i]! ? 1 : 0);
    }
    for (let g = 0; g < topology.regions.length; g++) set(2 * nC + g, counts.regionUp(g) ? 1 : 0);
    return same;
  };
  const failbackDue = (): boolean => {
    if (DEFAULT_FAILOVER_CONFIG.failbackAfterMs === null) return false;
    return topology.regions.some((r) => {
      const inRegion = clustersIn.get(r)!;
      const ok = (c: SimCluster): boolean => flags[clusterIndex.get(c.id)!] === 1;
      return inRegion.some((c) => c.role === 'backup' && failover.clusters.get(c.id)?.phase === 'active' && ok(c)) && inRegion.some((c) => c.role === 'primary' && failover.clusters.get(c.id)?.phase === 'standby' && ok(c));
    });
  };

  // whether a failback is due depends only on the flags and the failover state: worked out after
  // each step, it stands for as long as both do (the events skipped below)
  let failbackPending = true;
  const update = (): void => {
    const unchanged = flagsUnchanged();
    if (skippable && fixpoint && unchanged && !failbackPending) return;
    fixpoint = false;
    const health = topology.clusters.map((c) => ({ id: c.id, region: c.region, role: c.role, healthy: healthyIn(c), total: c.gpus, minHealthyFraction: c.minHealthyFraction }));
    // The live control plane's failover policy; in virtual time a drain ends at once (its cost is
    // the transient charge), after which a recovered cluster can stand by right away.
    // (the live edge steps again after every decision, drain end and wake-up: step to a fixpoint)
    for (let i = 0; i < stepsPerEventMax; i++) {
      const step = stepPolicy(health, failover, clock.nowMs(), DEFAULT_FAILOVER_CONFIG);
      failover = step.state;
      const drains = step.actions.filter((a) => a.type === 'drain');
      for (const a of drains) failover = drainFinished(failover, a.cluster, { inFlight: 0, waitedMs: 0, failed: [] }, clock.nowMs(), DEFAULT_FAILOVER_CONFIG).state;
      if (step.decisions.length === 0 && drains.length === 0) {
        fixpoint = true;
        break;
      }
    }
    serving = servingClusters(failover);
    failbackPending = failbackDue();
    const nowUp = served();
    const now = clock.nowMs();
    if (up && !nowUp) {
      downSinceMs = now;
      outages += 1;
    }
    if (!up && nowUp) {
      downtimeMs += now - downSinceMs;
      longestMs = Math.max(longestMs, now - downSinceMs);
    }
    up = nowUp;
  };

  /** Share of traffic a failing replica / cluster / region carried when it failed. */
  const upRegions = (): number => {
    let n = 0;
    for (const r of topology.regions) if (regionServes(r)) n += 1;
    return Math.max(1, n);
  };
  const servingReplicas = (region: string): number => clustersIn.get(region)!.reduce((s, c) => (serving.has(c.id) ? s + healthyIn(c) : s), 0);
  const charge = (share: number, signature: FailureSignature): void => {
    if (!transients || share <= 0) return;
    transientMs += share * detectionMs(signature, policy, rng);
  };

  const schedule = (perYear: number, mttrHours: number, repair: { distribution: string; sigma: number }, fail: () => () => void): void => {
    if (perYear <= 0) return;
    const meanMs = YEAR_MS / perYear;
    const next = (): void => {
      clock.setTimer(rng.exponential(meanMs), () => {
        failures += 1;
        const undo = fail();
        update();
        clock.setTimer(drawRepairMs(mttrHours, repair, rng), () => {
          undo();
          update();
          next();
        });
      });
    };
    next();
  };

  topology.clusters.forEach((c, ci) => {
    for (let ri = 0; ri < c.gpus; ri++) {
      const failReplica = (signature: FailureSignature) => (): (() => void) => {
        const wasServing = counts.replicaUp(ci, ri) && serving.has(c.id) && healthyIn(c) > 0;
        if (wasServing) charge(1 / Math.max(1, servingReplicas(c.region)) / upRegions(), signature);
        counts.replica(ci, ri, 1);
        return () => counts.replica(ci, ri, -1);
      };
      if (include.gpu) schedule(gpuFailuresPerYear(fm), fm.gpu.mttrHours, fm.gpu.repair, failReplica('fatal'));
      if (include.replicaSoftware) schedule(fm.replicaSoftware.perYear, fm.replicaSoftware.mttrHours, fm.replicaSoftware.repair, failReplica('disconnect'));
    }
    if (include.cluster) {
      schedule(fm.cluster.perYear, fm.cluster.mttrHours, fm.cluster.repair, () => {
        if (serving.has(c.id) && regionServes(c.region)) charge(servingReplicas(c.region) > 0 ? healthyIn(c) / servingReplicas(c.region) / upRegions() : 0, 'timeout');
        counts.cluster(ci, 1);
        return () => counts.cluster(ci, -1);
      });
    }
  });
  topology.regions.forEach((r, gi) => {
    if (!include.region) return;
    schedule(fm.region.perYear, fm.region.mttrHours, fm.region.repair, () => {
      if (regionServes(r)) charge(1 / upRegions(), 'timeout');
      counts.region(gi, 1);
      return () => counts.region(gi, -1);
    });
  });
  if (include.badDeploy && fm.badDeploy.perYear > 0) {
    const next = (): void => {
      clock.setTimer(rng.exponential(YEAR_MS / fm.badDeploy.perYear), () => {
        failures += 1;
        transientMs += fm.badDeploy.trafficShare * fm.badDeploy.detectMinutes * 60_000;
        next();
      });
    };
    next();
  }

  update();
  clock.advanceTo(YEAR_MS);
  if (!up) {
    downtimeMs += YEAR_MS - downSinceMs;
    longestMs = Math.max(longestMs, YEAR_MS - downSinceMs);
  }
  const lostMs = downtimeMs + transientMs;
  return {
    availability: 1 - lostMs / YEAR_MS,
    downtimeMinutes: lostMs / 60_000,
    outages,
    longestOutageMinutes: longestMs / 60_000,
    transientSeconds: transientMs / 1000,
    failures,
  };
}

export interface SimSummary {
  readonly years: number;
  readonly seed: number;
  readonly availability: { readonly mean: number; readonly ci99: readonly [number, number]; readonly p5: number; readonly p50: number; readonly worst: number };
  readonly downtimeMinutes: { readonly mean: number; readonly ci99: readonly [number, number]; readonly p95: number; readonly worst: number };
  readonly outagesPerYear: number;
  readonly meanOutageMinutes: number;
  readonly transientSecondsPerYear: number;
  readonly failuresPerYear: number;
}

const Z99 = 2.5758293035489;

function meanCi(xs: readonly number[]): { mean: number; ci: [number, number] } {
  const n = xs.length;
  const mean = xs.reduce((s, x) => s + x, 0) / n;
  const variance = n > 1 ? xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (n - 1) : 0;
  const half = Z99 * Math.sqrt(variance / n);
  return { mean, ci: [mean - half, mean + half] };
}

function quantile(sorted: readonly number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * sorted.length)))]!;
}

/** Simulates `years` independent years (year i uses the seed's fork `year/i`) and summarizes them. */
export function simulate(opts: SimOptions, years: number, seed: number): { summary: SimSummary; results: YearResult[] } {
  const root = createRng(seed);
  const results: YearResult[] = [];
  for (let i = 0; i < years; i++) results.push(simulateYear(opts, root.fork(`year/${i}`)));
  const avail = meanCi(results.map((r) => r.availability));
  const down = meanCi(results.map((r) => r.downtimeMinutes));
  const sortedA = results.map((r) => r.availability).sort((a, b) => a - b);
  const sortedD = results.map((r) => r.downtimeMinutes).sort((a, b) => a - b);
  const outages = results.reduce((s, r) => s + r.outages, 0);
  const outageMinutes = results.reduce((s, r) => s + r.downtimeMinutes - r.transientSeconds / 60, 0);
  return {
    results,
    summary: {
      years,
      seed,
      availability: { mean: avail.mean, ci99: avail.ci, p5: quantile(sortedA, 0.05), p50: quantile(sortedA, 0.5), worst: sortedA[0]! },
      downtimeMinutes: { mean: down.mean, ci99: down.ci, p95: quantile(sortedD, 0.95), worst: sortedD[sortedD.length - 1]! },
      outagesPerYear: outages / years,
      meanOutageMinutes: outages > 0 ? outageMinutes / outages : 0,
      transientSecondsPerYear: results.reduce((s, r) => s + r.transientSeconds, 0) / years,
      failuresPerYear: results.reduce((s, r) => s + r.failures, 0) / years,
    },
  };
}
