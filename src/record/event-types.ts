// The event vocabulary of the record. Measurement reads these names; components emit them.

export const EV = {
  // control plane
  replicaRegistered: 'replica.registered',
  /** The replica's heartbeat stream ended: the process or its connection died. */
  replicaDisconnected: 'replica.disconnected',
  /** One health signal changed; data {signal, from, to}. */
  healthSignal: 'health.signal',
  /** The replica as a whole turned unhealthy / healthy; reason names the signal. */
  healthUnhealthy: 'health.unhealthy',
  healthHealthy: 'health.healthy',
  /** The replica left / joined the routable set the control plane publishes; data {topologyVersion}. */
  routingRemoved: 'routing.removed',
  routingAdded: 'routing.added',
  topologyPublished: 'topology.published',
  clusterFailed: 'cluster.failed',
  clusterRecovered: 'cluster.recovered',
  clusterPromoted: 'cluster.promoted',
  clusterDemoted: 'cluster.demoted',
  regionNoHealthyBackup: 'region.no-healthy-backup',
  // gateways (source gateway/<region>)
  /** The gateway stopped routing to a replica on its own evidence; data {kind}. */
  passiveEject: 'passive.eject',
  passiveReadmit: 'passive.readmit',
  /** A stream continued on another replica; subject = the replica it left; data {to, tokens}. */
  requestResumed: 'request.resumed',
  requestRetried: 'request.retried',
  // chaos engine (source chaos); subject = fault id; data {kind, target, replicas}
  faultInjected: 'fault.injected',
  faultHealed: 'fault.healed',
  /** An undo step failed; reason names each failure; the fault may still be in effect (no fault.healed). */
  faultHealFailed: 'fault.heal-failed',
  faultFailed: 'fault.failed',
  /** A game day stopped early because an abort condition fired. */
  gamedayAborted: 'gameday.aborted',
  // load driver
  loadStarted: 'load.started',
  loadStopped: 'load.stopped',
  // global load balancer (source glb); subject = a region
  /** Active checks turned a region unhealthy / healthy; data {from, to, reason}. */
  glbRegionUnhealthy: 'glb.region-unhealthy',
  glbRegionHealthy: 'glb.region-healthy',
  /** A request to the region failed: no new traffic for data.ejectionMs. */
  glbEject: 'glb.eject',
  glbReadmit: 'glb.readmit',
  /** New requests of home region `subject` now go to data.to (failover) or home again (failback). */
  glbFailover: 'glb.failover',
  glbFailback: 'glb.failback',
  /** No region can take requests of home region `subject`. */
  glbNoRegion: 'glb.no-region',
  glbRequestRetried: 'glb.request.retried',
  glbRequestResumed: 'glb.request.resumed',
  // cluster failover steps (source controlplane); subject = a cluster
  /** The failed cluster takes no new requests; its in-flight ones get data.drainTimeoutMs. */
  clusterDraining: 'cluster.draining',
  /** Drain ended; data {inFlight, waitedMs, bounded, drained, failed: replica ids whose Drain call failed}. */
  clusterDrained: 'cluster.drained',
  /** Drain calls failed; reason names each replica and why; data {failed: [{replica, reason}]}. */
  clusterDrainFailed: 'cluster.drain-failed',
  /** Undrain calls failed (those replicas still refuse new requests); data {failed: [{replica, reason}]}. */
  clusterUndrainFailed: 'cluster.undrain-failed',
  // deployments (source controlplane); subject = a replica
  /** A replica's Drain call failed; reason says why (its in-flight requests are unknown). */
  deployDrainFailed: 'deploy.drain-failed',
  /** A replica's Undrain call after a model load failed (it still refuses new requests). */
  deployUndrainFailed: 'deploy.undrain-failed',
  /** Waiting in the background for the failed cluster's replicas to come back. */
  clusterRecovering: 'cluster.recovering',
  /** The recovered cluster is a standby (backup) now. */
  clusterStandby: 'cluster.standby',
} as const;

/** GLB events that take a region out of the global load balancer's routing (region failover time). */
export const REGION_REMOVAL_EVENTS: readonly string[] = [EV.glbRegionUnhealthy, EV.glbEject];

/** Events that mark a replica as detected unhealthy (for detection time). */
export const DETECTION_EVENTS: readonly string[] = [EV.healthUnhealthy, EV.passiveEject, EV.replicaDisconnected];

/** Events that take a replica out of routing (for failover time). */
export const REMOVAL_EVENTS: readonly string[] = [EV.routingRemoved, EV.passiveEject];
