// Analytical availability models. First the seed's AvailabilityCalculator exactly (a k-of-n cluster
// by the binomial distribution, parallel clusters as 1-(1-a)^n), then what it leaves out: repairs
// through a birth-death Markov chain, common-mode failures per cluster and per region, and the
// seconds every failure costs before traffic moves even when a spare exists.
import { HalabError } from '../core/errors.js';
import { checkAvailability } from './conversions.js';

/** P(X = k) for X ~ Binomial(n, p), by logs to stay exact for large n. */
export function binomialPmf(k: number, n: number, p: number): number {
  if (k < 0 || k > n) return 0;
  if (p === 0) return k === 0 ? 1 : 0;
  if (p === 1) return k === n ? 1 : 0;
  let logC = 0;
  for (let i = 1; i <= k; i++) logC += Math.log(n - k + i) - Math.log(i);
  return Math.exp(logC + k * Math.log(p) + (n - k) * Math.log1p(-p));
}

/** P(X <= k), like scipy.stats.binom.cdf. */
export function binomialCdf(k: number, n: number, p: number): number {
  let s = 0;
  for (let i = 0; i <= Math.min(k, n); i++) s += binomialPmf(i, n, p);
  return Math.min(1, s);
}

/** The seed's calculate_cluster_availability: at least n//2 of n GPUs up. */
export function seedClusterAvailability(numGpus: number, gpuAvailability = 0.995): number {
  checkAvailability(gpuAvailability, 'GPU availability');
  if (!Number.isInteger(numGpus) || numGpus < 1) throw new HalabError('USAGE', `GPUs per cluster must be a positive integer, got ${numGpus}`);
  const minGpus = Math.floor(numGpus / 2);
  return 1 - binomialCdf(minGpus - 1, numGpus, gpuAvailability);
}

/** The seed's calculate_multi_cluster_availability: at least one of n clusters up. */
export function seedMultiClusterAvailability(clusterAvailability: number, numClusters: number): number {
  checkAvailability(clusterAvailability, 'cluster availability');
  return 1 - (1 - clusterAvailability) ** numClusters;
}

/** P(at least k of n independent components up), each up with probability a. */
export function kOfN(k: number, n: number, a: number): number {
  if (k <= 0) return 1;
  return 1 - binomialCdf(k - 1, n, a);
}

/**
 * k-of-n with repair as a birth-death CTMC: state i = components down; failures at (n-i)λ, repairs
 * at min(i, crews)μ. Returns the steady-state P(at least k up). With crews >= n this equals the
 * binomial with a = μ/(λ+μ); fewer crews make long outages likelier.
 */
export function markovKofN(k: number, n: number, failuresPerHour: number, repairsPerHour: number, crews = n): number {
  if (!(failuresPerHour >= 0) || !(repairsPerHour > 0)) throw new HalabError('USAGE', `rates must be positive (failure ${failuresPerHour}/h, repair ${repairsPerHour}/h)`);
  const weights = [1];
  for (let i = 1; i <= n; i++) weights.push(weights[i - 1]! * (((n - i + 1) * failuresPerHour) / (Math.min(i, crews) * repairsPerHour)));
  const total = weights.reduce((s, w) => s + w, 0);
  let up = 0;
  for (let i = 0; i <= n - k; i++) up += weights[i]! / total;
  return up;
}

export interface ComponentRates {
  /** Failures per year. */
  readonly perYear: number;
  /** Mean time to repair, hours. */
  readonly mttrHours: number;
}

/** Steady-state availability of a component that fails `perYear` times and takes mttrHours each. */
export function rateAvailability(r: ComponentRates): number {
  const downHours = r.perYear * r.mttrHours;
  return 1 / (1 + downHours / (365.25 * 24));
}

export interface ClusterModel {
  readonly gpus: number;
  /** Healthy replicas needed for the cluster to count as up. */
  readonly minHealthy: number;
  /** Per-GPU availability (hardware and replica software combined). */
  readonly replicaAvailability: number;
  /** Cluster-wide common-mode failures (a ToR switch, a bad driver). */
  readonly commonMode: ComponentRates;
}

export function clusterAvailability(c: ClusterModel): number {
  return rateAvailability(c.commonMode) * kOfN(c.minHealthy, c.gpus, c.replicaAvailability);
}

export interface RegionModel {
  readonly primary: ClusterModel;
  readonly backups: readonly ClusterModel[];
  /** Region-wide events (power, network). */
  readonly commonMode: ComponentRates;
}

/** A region is up while its region-level infrastructure is, and its primary or any backup is. */
export function regionAvailability(r: RegionModel): number {
  const clusters = [r.primary, ...r.backups].map(clusterAvailability);
  return rateAvailability(r.commonMode) * (1 - clusters.reduce((p, a) => p * (1 - a), 1));
}

/** Active-active regions, each able to carry all traffic: up while any region is. */
export function serviceAvailability(regions: readonly RegionModel[]): number {
  return 1 - regions.map(regionAvailability).reduce((p, a) => p * (1 - a), 1);
}

export interface FailoverCost {
  /** Failures per year that move traffic (each costs detection + failover). */
  readonly eventsPerYear: number;
  /** Seconds from failure to traffic moved. */
  readonly secondsPerEvent: number;
  /** Share of traffic the failed component carried, 0..1. */
  readonly trafficShare: number;
}

/** Availability lost to failover transients: even a perfect spare costs the seconds before it takes over. */
export function failoverLoss(costs: readonly FailoverCost[]): number {
  const seconds = costs.reduce((s, c) => s + c.eventsPerYear * c.secondsPerEvent * c.trafficShare, 0);
  return seconds / (365.25 * 24 * 3600);
}
