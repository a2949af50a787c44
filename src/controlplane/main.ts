// Control-plane process entry: `node dist/src/controlplane/main.js --topology F --lab-dir D [--host H] [--port P]`.
import { Command } from 'commander';
import { realClock } from '../core/clock.js';
import { fileEventSink } from '../core/events.js';
import { createLogger } from '../core/log.js';
import { loadTopology } from '../core/topology.js';
import { eventsFile, logFile, writeReadyFile } from '../lab/paths.js';
import { ControlPlane } from './control-plane.js';
import { DEFAULT_HEALTH_POLICY } from './health-policy.js';
import { Prober } from './prober.js';
import { createControlPlaneMetrics, serveMetrics } from './metrics.js';
import { EventHub, startControlPlaneServer } from './server.js';
import { DeployController } from './deploy-controller.js';
import { DeployProcesses } from './deploy-processes.js';
import { DeploySampler } from './deploy-sampler.js';
import { resolve } from 'node:path';

const HEARTBEAT_INTERVAL_MS = 250;

const opts = new Command()
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--host <host>', 'address to bind', '127.0.0.1')
  .option('--port <port>', 'port to bind (0: ephemeral)', '0')
  .parse()
  .opts<{ topology: string; labDir: string; host: string; port: string }>();

const name = 'controlplane';
const log = createLogger(name, logFile(opts.labDir, name));
const topology = loadTopology(opts.topology);
const hub = new EventHub();
const metrics = createControlPlaneMetrics();
const events = fileEventSink(eventsFile(opts.labDir, name), name, realClock, (e) => {
  hub.publish(e);
  metrics.observeEvent(e);
});
const policy = DEFAULT_HEALTH_POLICY;
const prober = new Prober(
  { modelName: topology.model.name, probeTimeoutMs: policy.probeTimeoutMs, latencyMaxMs: policy.latencyMaxMs, errorRatioMax: policy.errorRatioMax, errorMinRequests: 5 },
  realClock,
);
const cp = new ControlPlane(topology, prober, policy, realClock, events);
metrics.bind(cp);
const metricsServer = await serveMetrics(metrics.registry, opts.host);
let address = '';
const sampler = new DeploySampler(realClock, topology.model.name, 9001);
const deploys = new DeployController({
  cp,
  topology,
  clock: realClock,
  events,
  processes: new DeployProcesses({ labDir: opts.labDir, topologyFile: resolve(opts.topology), controlPlane: () => address, clock: realClock }),
  sampler,
});
const server = await startControlPlaneServer(cp, hub, { host: opts.host, port: Number(opts.port), heartbeatIntervalMs: HEARTBEAT_INTERVAL_MS, clock: realClock, deploys });
address = server.address;
writeReadyFile(opts.labDir, name, { address: server.address, url: metricsServer.url });
log.info({ address: server.address, topology: topology.file }, 'control plane listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  deploys.stop();
  sampler.close();
  cp.stop();
  prober.close();
  metricsServer.close();
  await server.close();
  process.exit(0);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
