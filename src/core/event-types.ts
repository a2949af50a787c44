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
  faultFailed: 'fault.failed',
  /** A game day stopped early because an abort condition fired. */
  gamedayAborted: 'gameday.aborted',
  // load driver
  loadStarted: 'load.started',
  loadStopped: 'load.stopped',
} as const;

/** Events that mark a replica as detected unhealthy (for detection time). */
export const DETECTION_EVENTS: readonly string[] = [EV.healthUnhealthy, EV.passiveEject, EV.replicaDisconnected];

/** Events that take a replica out of routing (for failover time). */
export const REMOVAL_EVENTS: readonly string[] = [EV.routingRemoved, EV.passiveEject];
