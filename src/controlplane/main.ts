// Control-plane process entry:
// `node dist/src/controlplane/main.js --topology F --lab-dir D [--host H] [--port P] [--instance N] [--etcd URLS]`.
// Opens the state store (embedded log under <lab>/state, or etcd), serves gRPC at once, and leads
// when elected (always, with one instance): it then adopts the stored state, publishes it, and
// persists every change. Followers answer UNAVAILABLE naming the leader.
import { EXIT } from '../core/exit-codes.js';
import { controlPlaneStateFile } from '../process/state-paths.js';
import { Command } from 'commander';
import { realClock } from '../core/clock.js';
import { fileEventSink } from '../record/events.js';
import { notLeaderDetails } from '../protocol/cp-endpoints.js';
import { createLogger } from '../core/log.js';
import { loadTopology, runtimeOfReplica } from '../config/topology.js';
import { eventsFile, gatewayUrlOf, logFile, writeReadyFile } from '../process/paths.js';
import { ControlPlane } from './fleet/control-plane.js';
import { DEFAULT_HEALTH_POLICY } from '../policy/health.js';
import { ERROR_MIN_REQUESTS, Prober, standinProbeAnswer } from './health/prober.js';
import { readKnownAnswers } from '../process/known-answers.js';
import { ExternalProber } from './health/external-prober.js';
import { budgetedHealthPolicy, budgetedHeartbeatIntervalMs } from './health/probe-budget.js';
import { createControlPlaneMetrics, serveMetrics } from './metrics.js';
import { EventHub, startControlPlaneServer } from './server.js';
import { useLabAuth } from '../protocol/lab-auth.js';
import { loadLabAuth } from '../process/lab-secret.js';
import { openStateStore } from '../store/state-store.js';
import { loadAdoptedState, StatePersistence } from './ha/state-persistence.js';
import { etcdLeadership, fenceStore, soloLeadership, type Leadership } from './ha/leadership.js';
import { EtcdStateStore } from '../store/state-store-etcd.js';
import { takeBackup } from '../store/backup.js';
import { backupLocation } from '../store/backup-config.js';
import { openObjectStore } from '../store/object-store.js';
import { EV } from '../record/event-types.js';
import { ConfigReplicator } from '../store/config-replicator.js';
import { DeployController } from './deploy/controller.js';
import { DeployProcesses } from './deploy/processes.js';
import { DeploySampler } from './deploy/sampler.js';
import { resolve } from 'node:path';
import { capHelperLogs, capsHelperLogs } from '../process/helper-logs.js';

/** How often the leader checks that every region holds its current configuration. */
const CONFIG_SYNC_INTERVAL_MS = 1000;
/** A replica adopted from stored state must re-register within this long after a takeover. */
const ADOPT_GRACE_MS = 5000;

const opts = new Command()
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port to bind (0: ephemeral)', '0')
  .option('--instance <n>', 'instance number when several run (HA)')
  .option('--etcd <urls>', 'etcd client URLs (comma-separated), for controlPlane.store: etcd')
  .parse()
  .opts<{ topology: string; labDir: string; host: string; port: string; instance?: string; etcd?: string }>();

const name = opts.instance !== undefined ? `controlplane/${opts.instance}` : 'controlplane';
useLabAuth(loadLabAuth(opts.labDir, 'controlplane'));
const log = createLogger(name, logFile(opts.labDir, name));
const helperLogs = capsHelperLogs(name) ? capHelperLogs(opts.labDir, realClock) : undefined;
const topology = loadTopology(opts.topology);
const cpConfig = topology.controlPlane;
const hub = new EventHub();
const metrics = createControlPlaneMetrics();
let persistence: StatePersistence | undefined;
const events = fileEventSink(eventsFile(opts.labDir, name), name, realClock, (e) => {
  hub.publish(e);
  metrics.observeEvent(e);
  if (e.type !== EV.stateWriteFailed) persistence?.event(e);
});
const store = await openStateStore(
  cpConfig.store === 'etcd'
    ? { kind: 'etcd', endpoints: (opts.etcd ?? '').split(',').filter(Boolean) }
    : { kind: 'embedded', file: controlPlaneStateFile(opts.labDir) },
);
// real llama.cpp engines on shared CPU cores: the probe latency their topology allows
const probeLatencyMaxMs = topology.llamacppEngine?.probeLatencyMaxMs;
// a compressed lab (topology timeScale < 1, `halab run --time-scale`): probe and heartbeat intervals in lab time
const ts = topology.timeScale;
const scaledMs = (ms: number): number => Math.max(1, Math.round(ms * ts));
const labHealthPolicy = ts === 1 ? DEFAULT_HEALTH_POLICY : { ...DEFAULT_HEALTH_POLICY, intervalMs: scaledMs(DEFAULT_HEALTH_POLICY.intervalMs), unhealthyIntervalMs: scaledMs(DEFAULT_HEALTH_POLICY.unhealthyIntervalMs), edgeIntervalMs: scaledMs(DEFAULT_HEALTH_POLICY.edgeIntervalMs), latencyMaxMs: scaledMs(DEFAULT_HEALTH_POLICY.latencyMaxMs), probeTimeoutMs: scaledMs(DEFAULT_HEALTH_POLICY.probeTimeoutMs) };
const basePolicy = probeLatencyMaxMs
  ? { ...DEFAULT_HEALTH_POLICY, latencyMaxMs: probeLatencyMaxMs, probeTimeoutMs: Math.max(DEFAULT_HEALTH_POLICY.probeTimeoutMs, probeLatencyMaxMs + 500) }
  : labHealthPolicy;
// a large fleet stays within the probe and heartbeat budgets (small labs are unchanged)
const policy = budgetedHealthPolicy(basePolicy, topology.replicas.length, topology.probes.budgetPerSec);
// llama.cpp replicas: the known answers their lab computed at start with reference engines
const knownAnswers = topology.llamacppEngine ? readKnownAnswers(opts.labDir) : undefined;
const isRealEngine = (id: string): boolean => runtimeOfReplica(topology, id) === 'llamacpp';
const prober = new Prober(
  { modelName: topology.model.name, probeTimeoutMs: policy.probeTimeoutMs, latencyMaxMs: policy.latencyMaxMs, errorRatioMax: policy.errorRatioMax, errorMinRequests: ERROR_MIN_REQUESTS },
  realClock,
  (id, version) => (isRealEngine(id) ? knownAnswers?.versions[version] : standinProbeAnswer(version)),
);
const externalProber = new ExternalProber({ probeTimeoutMs: policy.probeTimeoutMs, latencyMaxMs: policy.latencyMaxMs, ...(topology.probes.completionIntervalMs ? { completionIntervalMs: topology.probes.completionIntervalMs } : {}) }, realClock);
const cp = new ControlPlane(
  topology,
  { probe: (t) => (t.external && t.httpUrl ? externalProber.probe({ id: t.id, httpUrl: t.httpUrl, external: t.external }) : prober.probe(t)) },
  policy,
  realClock,
  events,
);
for (const r of topology.replicas) if (r.external?.url) cp.registerExternal(r.id, r.external.url);
metrics.bind(cp);
let role: 'follower' | 'leader' = 'follower';
let term = 0;
let leadership: Leadership | undefined;
let configReplicator: ConfigReplicator | undefined;
const backupUrl = backupLocation(topology, opts.labDir);
const objects = openObjectStore(backupUrl, cpConfig.backup.endpoint ? { endpoint: cpConfig.backup.endpoint } : {});
const backupNow = async () => {
  await persistence?.flushed();
  const r = await takeBackup(store, objects, realClock.nowMs(), cpConfig.backup.retain, name);
  events.emit(EV.backupTaken, r.name, undefined, { url: r.url, keys: r.keys, bytes: r.bytes, sha256: r.sha256, pruned: r.pruned });
  return r;
};
const metricsServer = await serveMetrics(metrics.registry, opts.host);
let address = '';
const sampler = new DeploySampler(realClock, topology.model.name, 9001, (id) => !isRealEngine(id));
const deploys = new DeployController({
  cp,
  topology,
  clock: realClock,
  events,
  processes: new DeployProcesses({ labDir: opts.labDir, topologyFile: resolve(opts.topology), controlPlane: () => address, clock: realClock }),
  sampler,
});
const server = await startControlPlaneServer(cp, hub, {
  host: opts.host,
  port: Number(opts.port),
  heartbeatIntervalMs: scaledMs(budgetedHeartbeatIntervalMs(topology.replicas.length)),
  clock: realClock,
  leadership: { instance: name, isLeader: () => role === 'leader', term: () => term, notLeader: () => notLeaderDetails(name, leadership?.leader() ?? '') },
  backup: backupNow,
  deploys,
  events,
  name,
});

function scheduleBackups(): void {
  if (cpConfig.backup.intervalMs <= 0) return;
  realClock.setTimer(cpConfig.backup.intervalMs, () => {
    if (stopping) return;
    backupNow()
      .catch((err: Error) => events.emit(EV.backupFailed, backupUrl, err.message))
      .finally(scheduleBackups);
  });
}

async function becomeLeader(): Promise<void> {
  const startedMs = realClock.monoMs();
  if (leadership && store instanceof EtcdStateStore) await fenceStore(leadership, store);
  const state = await loadAdoptedState(store);
  persistence = new StatePersistence(store, realClock, (message, err) => {
    log.error({ message }, 'state write failed');
    events.emit(EV.stateWriteFailed, store.kind, message);
    if ((err as { code?: string }).code === 'NOT_LEADER') handlers.lost(message);
  }, state.eventSeq);
  await persistence.seed(topology);
  term = await persistence.nextTerm();
  const p = persistence;
  cp.setPersistence((entry) => {
    if (entry) p.replica(entry);
    else p.published(cp.current(), cp.servingState());
  });
  cp.adopt(state, ADOPT_GRACE_MS);
  role = 'leader';
  events.emit(EV.leaderElected, name, undefined, {
    address: server.address,
    term,
    store: store.kind,
    adoptedReplicas: [...state.replicas.values()].filter((r) => r.connected).length,
    takeoverMs: Math.round(realClock.monoMs() - startedMs),
  });
  log.info({ term, address: server.address }, 'leading');
  scheduleBackups();
  configReplicator = new ConfigReplicator(store, { regions: topology.regions.map((r) => r.name), gatewayUrl: (r) => gatewayUrlOf(opts.labDir, r), intervalMs: CONFIG_SYNC_INTERVAL_MS, requestTimeoutMs: 2000 }, realClock, events, metrics.registry);
  configReplicator.start();
}

const handlers = {
  elected: () =>
    becomeLeader().catch((err: Error) => {
      log.error({ err: err.message }, 'could not take over');
      events.emit(EV.leaderLost, name, `take-over failed: ${err.message}`);
      process.exit(EXIT.lostLeadership);
    }),
  lost: (why: string) => {
    if (stopping) return;
    events.emit(EV.leaderLost, name, why, { wasLeader: role === 'leader' });
    log.error({ why }, role === 'leader' ? 'lost leadership; stopping (fail-stop)' : 'cannot campaign; stopping');
    process.exit(EXIT.lostLeadership);
  },
};
leadership = store instanceof EtcdStateStore ? await etcdLeadership(store, server.address, cpConfig.leaseTtlS, handlers) : soloLeadership(server.address, handlers);
address = server.address;
writeReadyFile(opts.labDir, name, { address: server.address, url: metricsServer.url, instance: name });
log.info({ address: server.address, topology: topology.file, store: store.kind }, 'control plane listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  deploys.stop();
  helperLogs?.stop();
  sampler.close();
  cp.stop();
  configReplicator?.stop();
  prober.close();
  metricsServer.close();
  await leadership?.close();
  await persistence?.flushed();
  await server.close();
  await store.close();
  process.exit(EXIT.ok);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
