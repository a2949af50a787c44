// The event vocabulary of the record, declared once: every event type a component emits, with the
// shape of its data. Measurement reads these names; `EventSink.emit` only accepts them.

/** An event that carries no data. */
export type NoData = Record<string, never>;

/** A replica whose agent call failed, and why. */
export interface ReplicaFailure {
  readonly replica: string;
  readonly reason: string;
}

/** Canary and green-set statistics (canary-judge), spread into the event beside the named fields. */
type JudgeStats = { readonly verdict: string; readonly [stat: string]: unknown };

/** Every event type besides the deploy steps (below), with the shape of its data. */
export interface CoreEventPayloads {
  // control plane: fleet and health (source controlplane)
  'replica.registered': { readonly httpUrl: string; readonly pid?: number; readonly modelVersion?: string; readonly kind?: string };
  /** The replica's heartbeat stream ended: the process or its connection died. */
  'replica.disconnected': NoData;
  /** One health signal changed. */
  'health.signal': { readonly signal: string; readonly from: string; readonly to: string };
  /** The replica as a whole turned unhealthy / healthy; reason names the signal. */
  'health.unhealthy': NoData;
  'health.healthy': NoData;
  /** The replica left / joined the routable set the control plane publishes. */
  'routing.removed': { readonly topologyVersion: number };
  'routing.added': { readonly topologyVersion: number };
  'topology.published': { readonly routable: number };
  // cluster failover steps (source controlplane); subject = a cluster
  'cluster.failed': NoData;
  'cluster.recovered': NoData;
  'cluster.promoted': NoData;
  'cluster.demoted': NoData;
  /** The failed cluster takes no new requests; its in-flight ones get drainTimeoutMs. */
  'cluster.draining': { readonly drainTimeoutMs: number };
  /** Drain ended; inFlight is null when the drain bound was reached without a report. */
  'cluster.drained': { readonly inFlight: number | null; readonly waitedMs: number; readonly bounded: boolean; readonly drained?: boolean; readonly failed?: readonly string[] };
  /** Drain calls failed; reason names each replica and why. */
  'cluster.drain-failed': { readonly failed: readonly ReplicaFailure[] };
  /** Undrain calls failed (those replicas still refuse new requests). */
  'cluster.undrain-failed': { readonly failed: readonly ReplicaFailure[] };
  /** Waiting in the background for the failed cluster's replicas to come back. */
  'cluster.recovering': NoData;
  /** The recovered cluster is a standby (backup) now. */
  'cluster.standby': NoData;
  'region.no-healthy-backup': { readonly severity: 'critical'; readonly region: string };
  // control plane state, HA and backups (source controlplane[/N]); restores (source restore)
  'controlplane.leader-elected': { readonly address: string; readonly term: number; readonly store: string; readonly adoptedReplicas: number; readonly takeoverMs: number };
  /** An instance lost its lease or could not campaign, and stopped. */
  'controlplane.leader-lost': { readonly wasLeader?: boolean };
  'state.write-failed': NoData;
  /** A snapshot was written; subject = its name. */
  'backup.taken': { readonly url: string; readonly keys: number; readonly bytes: number; readonly sha256: string; readonly pruned: readonly string[] };
  'backup.failed': NoData;
  /** A restored control plane serves again. */
  'controlplane.restored': { readonly snapshot: string; readonly url: string; readonly keys: number; readonly createdAtMs: number; readonly restoreMs: number; readonly startedAtMs: number };
  'controlplane.restore-failed': NoData;
  /** Configuration pushed to a region's gateway (subject = region) and acknowledged with its digest. */
  'config.replicated': { readonly digest: string; readonly keys: number; readonly lagMs: number };
  'config.replication-failed': { readonly digest: string };
  // gateways (source gateway/<region>)
  /** The gateway stopped routing to a replica on its own evidence. */
  /** A gateway opened the circuit of an upstream (for `model`, when the route names one). */
  'passive.eject': { readonly kind: string; readonly ejectionMs: number; readonly count: number; readonly model?: string };
  /** A gateway closed it on a completion of that model (reason: a probe's or a real request's). */
  'passive.readmit': { readonly count: number; readonly model?: string };
  /** A stream continued on another replica; subject = the replica it left. */
  'request.resumed': { readonly to: string; readonly tokens: number; readonly group: string; readonly mode: string };
  'request.retried': { readonly to: string; readonly tokens: number; readonly group: string; readonly mode: string };
  /** Stored-completion replication to the peer region (subject) failed (batch kept, retried) / works again. */
  'replication.failed': { readonly pending: number; readonly lagMs: number };
  'replication.recovered': { readonly pending: number };
  // global load balancer (source glb); subject = a region
  /** Active checks turned a region unhealthy / healthy. */
  'glb.region-unhealthy': { readonly from: string; readonly to: string };
  'glb.region-healthy': { readonly from: string; readonly to: string };
  /** A request to the region failed: no new traffic for ejectionMs. */
  'glb.eject': { readonly kind: string; readonly ejectionMs: number; readonly count: number };
  'glb.readmit': { readonly count: number };
  /** New requests of home region `subject` now go to `to` (failover) or home again (failback). */
  'glb.failover': { readonly from: string | undefined; readonly to: string };
  'glb.failback': { readonly from: string | undefined; readonly to: string };
  /** No region can take requests of home region `subject`. */
  'glb.no-region': { readonly from: string | undefined };
  'glb.request.retried': { readonly to: string; readonly tokens: number; readonly home: string };
  'glb.request.resumed': { readonly to: string; readonly tokens: number; readonly home: string };
  // chaos engine and `halab inject` (source chaos); subject = fault id
  'fault.injected': {
    readonly kind: string;
    readonly target: string;
    readonly replicas: readonly string[];
    readonly params: object;
    readonly startedAtMs?: number;
    readonly output?: string;
    readonly inEffectAtMs?: number;
  };
  'fault.healed': { readonly kind: string; readonly target: string; readonly replicas: readonly string[] };
  /** An undo step failed; reason names each failure; the fault may still be in effect (no fault.healed). */
  'fault.heal-failed': { readonly kind: string; readonly target: string; readonly replicas: readonly string[] };
  'fault.failed': { readonly kind: string; readonly target: string };
  /** A game day stopped early because an abort condition fired. */
  'gameday.aborted': NoData;
  // the run's process watch (source lab); subject = the process name (glb, gateway/<region>, replica/<id>...)
  /** A lab process exited while no fault had killed it (seen by pid and start time). */
  'process.died': { readonly pid: number; readonly kind: string; readonly startedAtMs?: number };
  // replica agents (source replica/<id>); subject = the replica
  'fault.applied': { readonly id: string; readonly kind: string; readonly factor: number; readonly probability: number; readonly afterTokens: number };
  'fault.cleared': { readonly faultId: string };
  'model.loading': { readonly version: string; readonly behaviour: string; readonly inFlight: number };
  'model.crashed': { readonly version: string };
  'model.loaded': { readonly version: string; readonly behaviour: string; readonly loadMs: number };
  'drain.started': { readonly inFlight: number; readonly timeoutMs: number };
  'drain.finished': { readonly inFlight: number; readonly drained: boolean; readonly waitedMs: number };
  'drain.cancelled': NoData;
  // llama.cpp sidecars (source replica/<id>); subject = the replica
  'engine.started': { readonly pid: number; readonly model: string; readonly loadMs: number };
  'engine.exited': { readonly pid: number; readonly code: number | null; readonly signal: string | null; readonly expected: boolean };
  // the run (source lab): its lab is up, after `startedMs` of start-up
  'lab.up': { readonly startedMs: number };
  // load driver (source load)
  'load.started': { readonly driver: string; readonly ratePerSec: number };
  'load.stopped': { readonly driver: string; readonly started: number; readonly completed: number; readonly skipped: number; readonly note?: string; readonly k6?: unknown };
  // scheduled deployments (source chaos); subject = deploy-<index>
  'deploy.requested': { readonly index: number; readonly version: string; readonly strategy: string; readonly behaviour: string; readonly expect?: unknown };
  'deploy.accepted': { readonly index: number; readonly deployId: string };
  'deploy.ended': { readonly index: number; readonly deployId: string; readonly state: string };
  'deploy.unfinished': { readonly index: number; readonly deployId: string };
  'deploy.refused': { readonly index: number };
  /** A replica registered on another version than its desired one (subject = replica). */
  'deploy.reconcile': { readonly version: string; readonly desired: string };
  'deploy.reconciled': { readonly desired: string };
  'deploy.reconcile-failed': { readonly desired?: string };
  /** A call without valid lab credentials was refused (subject = the refusing component; reason = why). */
  'auth.refused': { readonly surface: 'grpc' | 'http'; readonly method: string; readonly peer?: string; readonly caller?: string };
  /** A handler of a lab HTTP server failed on a request (answered 500; the process lives on). */
  'http.handler-failed': { readonly method: string; readonly path: string };
}

/**
 * The steps of a deployment the control plane records (source controlplane; subject = the deployment
 * or a replica): each event carries the step's own fields below plus `deployId`.
 */
export interface DeployStepPayloads {
  'deploy.started': { readonly strategy: string; readonly version: string; readonly fromVersion: string; readonly behaviour: string; readonly config: unknown };
  'deploy.succeeded': { readonly durationMs: number; readonly versions: Readonly<Record<string, string>> };
  'deploy.rolled-back': { readonly durationMs: number; readonly versions: Readonly<Record<string, string>> };
  'deploy.failed': { readonly durationMs: number; readonly versions: Readonly<Record<string, string>> };
  'deploy.plan': { readonly order?: readonly string[]; readonly green?: readonly string[]; readonly blue?: readonly string[]; readonly canaries?: readonly string[]; readonly baseline?: readonly string[]; readonly share?: number };
  'deploy.weights': { readonly weights: Readonly<Record<string, number>> };
  /** A replica's Drain call failed; reason says why (its in-flight requests are unknown). */
  'deploy.drain-failed': { readonly inFlight: number | null; readonly drained: boolean };
  /** A replica's Undrain call after a model load failed (it still refuses new requests). */
  'deploy.undrain-failed': NoData;
  'deploy.green-started': NoData;
  'deploy.green-verified': NoData;
  'deploy.green-retired': NoData;
  'deploy.traffic-shifted': { readonly share: number };
  'deploy.slo-check': { readonly share: number } & JudgeStats;
  /** The green set's known-answer and SLO check before any traffic step; a rolling update's check of one updated replica's answers (subject: the replica) before it goes back into routing. */
  'deploy.smoke-test': JudgeStats;
  'deploy.keep-blue': { readonly blue: readonly string[] };
  'deploy.blue-retired': NoData;
  'deploy.canary-live': NoData;
  'deploy.canary-analysis': JudgeStats;
  'deploy.canary-promoted': NoData;
  'deploy.rollback-decided': { readonly phase: string; readonly [stat: string]: unknown };
  'deploy.rollback-started': { readonly failed: readonly string[]; readonly updated?: readonly string[] };
  'deploy.replica-held': NoData;
  'deploy.drain-extended': { readonly inFlight: number | null };
  'deploy.replica-drained': { readonly inFlight: number | null; readonly drained: boolean };
  'deploy.replica-started': NoData;
  'deploy.replica-loaded': NoData;
  'deploy.replica-verified': NoData;
  'deploy.replica-routed': NoData;
  'deploy.replica-done': NoData;
  'deploy.replica-rollback': NoData;
  'deploy.replica-restored': NoData;
  'deploy.replica-released': NoData;
  'deploy.replica-skipped': NoData;
  'deploy.replica-spawned': { readonly pid?: number; readonly version: string };
  'deploy.replica-spawn-failed': NoData;
  'deploy.replica-retired': NoData;
  'deploy.replica-restarted': { readonly version: string; readonly pid?: number };
}

export type DeployStepType = keyof DeployStepPayloads;

/** The empty payload ({}), for the conditional types below. */
type Empty = Record<never, never>;

type StepFields<T extends DeployStepType> = DeployStepPayloads[T] extends NoData ? Empty : DeployStepPayloads[T];

/** Every event type the lab emits, and the shape of its data. */
export type EventPayloads = CoreEventPayloads & { readonly [T in DeployStepType]: StepFields<T> & { readonly deployId: string } };

export type EventType = keyof EventPayloads;

/** The data arguments of a deploy step of type T, without the deployId the edge adds. */
export type StepDataArgs<T extends DeployStepType> = Empty extends DeployStepPayloads[T] ? [data?: DeployStepPayloads[T]] : [data: DeployStepPayloads[T]];

/** The `data` field of an event of type T: required when the payload has required fields. */
export type DataField<T extends EventType> = Empty extends EventPayloads[T] ? { readonly data?: EventPayloads[T] } : { readonly data: EventPayloads[T] };

/** The data arguments of `emit` for type T: none or one, required when the payload has required fields. */
export type DataArgs<T extends EventType> = Empty extends EventPayloads[T] ? [data?: EventPayloads[T]] : [data: EventPayloads[T]];

/** Constant names for the event types measurement reads (each one a key of EventPayloads). */
export const EV = {
  replicaRegistered: 'replica.registered',
  replicaDisconnected: 'replica.disconnected',
  healthSignal: 'health.signal',
  healthUnhealthy: 'health.unhealthy',
  healthHealthy: 'health.healthy',
  routingRemoved: 'routing.removed',
  routingAdded: 'routing.added',
  topologyPublished: 'topology.published',
  clusterFailed: 'cluster.failed',
  clusterRecovered: 'cluster.recovered',
  clusterPromoted: 'cluster.promoted',
  clusterDemoted: 'cluster.demoted',
  clusterDraining: 'cluster.draining',
  clusterDrained: 'cluster.drained',
  clusterDrainFailed: 'cluster.drain-failed',
  clusterUndrainFailed: 'cluster.undrain-failed',
  deployDrainFailed: 'deploy.drain-failed',
  deployUndrainFailed: 'deploy.undrain-failed',
  clusterRecovering: 'cluster.recovering',
  clusterStandby: 'cluster.standby',
  regionNoHealthyBackup: 'region.no-healthy-backup',
  leaderElected: 'controlplane.leader-elected',
  leaderLost: 'controlplane.leader-lost',
  stateWriteFailed: 'state.write-failed',
  backupTaken: 'backup.taken',
  backupFailed: 'backup.failed',
  restored: 'controlplane.restored',
  restoreFailed: 'controlplane.restore-failed',
  configReplicated: 'config.replicated',
  configReplicationFailed: 'config.replication-failed',
  passiveEject: 'passive.eject',
  passiveReadmit: 'passive.readmit',
  requestResumed: 'request.resumed',
  requestRetried: 'request.retried',
  replicationFailed: 'replication.failed',
  replicationRecovered: 'replication.recovered',
  glbRegionUnhealthy: 'glb.region-unhealthy',
  glbRegionHealthy: 'glb.region-healthy',
  glbEject: 'glb.eject',
  glbReadmit: 'glb.readmit',
  glbFailover: 'glb.failover',
  glbFailback: 'glb.failback',
  glbNoRegion: 'glb.no-region',
  glbRequestRetried: 'glb.request.retried',
  glbRequestResumed: 'glb.request.resumed',
  faultInjected: 'fault.injected',
  faultHealed: 'fault.healed',
  faultHealFailed: 'fault.heal-failed',
  faultFailed: 'fault.failed',
  gamedayAborted: 'gameday.aborted',
  processDied: 'process.died',
  labUp: 'lab.up',
  loadStarted: 'load.started',
  loadStopped: 'load.stopped',
  authRefused: 'auth.refused',
  httpHandlerFailed: 'http.handler-failed',
} as const satisfies Record<string, EventType>;

/** GLB events that take a region out of the global load balancer's routing (region failover time). */
export const REGION_REMOVAL_EVENTS: readonly string[] = [EV.glbRegionUnhealthy, EV.glbEject];

/** Events that mark a replica as detected unhealthy (for detection time). */
export const DETECTION_EVENTS: readonly string[] = [EV.healthUnhealthy, EV.passiveEject, EV.replicaDisconnected];

/** Events that take a replica out of routing (for failover time). */
export const REMOVAL_EVENTS: readonly string[] = [EV.routingRemoved, EV.passiveEject];
