// The year simulator's fleet state, counted incrementally: active failures per replica, cluster
// and region, and per cluster the number of replicas with none. A failure or a repair changes one
// count in O(1), so an event costs the same whatever the size of the clusters (the simulator used
// to recount every replica of every cluster on every event). `recountHealthy` is the full recount
// the incremental one must always equal (the tests compare them on random histories).

/** What the counts need of a topology (the simulator's SimTopology). */
export interface CountedTopology {
  readonly regions: readonly string[];
  readonly clusters: readonly { readonly region: string; readonly gpus: number }[];
}

export class FleetCounts {
  /** Active failures per replica, indexed by replicaBase[cluster] + replica index. */
  private readonly replicaDown: Int32Array;
  private readonly replicaBase: Int32Array;
  /** Replicas of each cluster with no active failure. */
  private readonly healthy: Int32Array;
  private readonly clusterDown: Int32Array;
  private readonly regionDown: Int32Array;
  /** Region index of each cluster. */
  readonly regionOf: Int32Array;
  private readonly sizes: Int32Array;

  constructor(topology: CountedTopology) {
    const n = topology.clusters.length;
    this.replicaBase = new Int32Array(n);
    this.healthy = new Int32Array(n);
    this.sizes = new Int32Array(n);
    this.clusterDown = new Int32Array(n);
    this.regionOf = new Int32Array(n);
    this.regionDown = new Int32Array(topology.regions.length);
    let total = 0;
    topology.clusters.forEach((c, i) => {
      this.replicaBase[i] = total;
      this.sizes[i] = c.gpus;
      this.healthy[i] = c.gpus;
      this.regionOf[i] = topology.regions.indexOf(c.region);
      total += c.gpus;
    });
    this.replicaDown = new Int32Array(total);
  }

  /** One more (+1) or one less (-1) active failure of a replica. */
  replica(cluster: number, replica: number, by: 1 | -1): void {
    const i = this.replicaBase[cluster]! + replica;
    const before = this.replicaDown[i]!;
    const after = before + by;
    this.replicaDown[i] = after;
    if (before === 0 && after > 0) this.healthy[cluster]! -= 1;
    else if (before > 0 && after === 0) this.healthy[cluster]! += 1;
  }

  cluster(cluster: number, by: 1 | -1): void {
    this.clusterDown[cluster]! += by;
  }

  region(region: number, by: 1 | -1): void {
    this.regionDown[region]! += by;
  }

  replicaUp(cluster: number, replica: number): boolean {
    return this.replicaDown[this.replicaBase[cluster]! + replica] === 0;
  }

  regionUp(region: number): boolean {
    return this.regionDown[region] === 0;
  }

  /** Replicas of the cluster that can serve: none while the cluster or its region is down. */
  healthyIn(cluster: number): number {
    return this.clusterDown[cluster]! > 0 || this.regionDown[this.regionOf[cluster]!]! > 0 ? 0 : this.healthy[cluster]!;
  }

  /** healthyIn by a full recount over the cluster's replicas (what the incremental count must equal). */
  recountHealthy(cluster: number): number {
    if (this.clusterDown[cluster]! > 0 || this.regionDown[this.regionOf[cluster]!]! > 0) return 0;
    let n = 0;
    const base = this.replicaBase[cluster]!;
    for (let r = 0; r < this.sizes[cluster]!; r++) if (this.replicaDown[base + r] === 0) n += 1;
    return n;
  }
}
