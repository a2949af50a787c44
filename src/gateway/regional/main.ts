// Regional gateway process entry:
// `node dist/src/gateway/regional/main.js --region R --host H --control-plane ADDR --topology F --lab-dir D [--port P] [--seed N]`.
import { EXIT } from '../../core/exit-codes.js';
import { Command } from 'commander';
import { realClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { fileEventSink } from '../../record/events.js';
import { createLogger } from '../../core/log.js';
import { loadTopology, runtimeOfReplica } from '../../config/topology.js';
import { eventsFile, logFile, writeReadyFile } from '../../process/paths.js';
import { gatewayConfigFrom } from './config.js';
import { createGatewayMetrics } from './metrics.js';
import { startGatewayServer } from './server.js';
import { watchTopology } from './topology-watch.js';
import { UpstreamPool } from './upstream-pool.js';
import { useUpstreamAgent } from './upstream-agent.js';
import { routesFromTopology } from '../../config/model-routes.js';
import { openRegionCompletions } from '../stored/stored-setup.js';
import { useLabAuth } from '../../protocol/lab-auth.js';
import { loadLabAuth } from '../../process/lab-secret.js';

const opts = new Command()
  .requiredOption('--region <region>')
  .requiredOption('--host <host>')
  .requiredOption('--control-plane <address>')
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--port <port>', 'port to bind (0: ephemeral)', '0')
  .option('--seed <n>', "the run's seed (retry and 429 backoff jitter)", '0')
  .parse()
  .opts<{ region: string; host: string; controlPlane: string; topology: string; labDir: string; port: string; seed: string }>();

const name = `gateway/${opts.region}`;
// completions and circuit probes reuse kept-alive connections to the replicas
useUpstreamAgent();
useLabAuth(loadLabAuth(opts.labDir, name));
const log = createLogger(name, logFile(opts.labDir, name));
const topology = loadTopology(opts.topology);
const metrics = createGatewayMetrics(opts.region);
const events = fileEventSink(eventsFile(opts.labDir, name), name, realClock, (e) => metrics.observeEvent(e));
// real llama.cpp engines on shared CPU cores get the timeouts their topology sets, unless the
// topology's gateway: section sets them
const engine = topology.llamacppEngine;
const sectionConfig = gatewayConfigFrom(topology.gateway, topology.file);
const config = engine && topology.gateway?.firstTokenTimeoutMs === undefined ? { ...sectionConfig, firstTokenTimeoutMs: engine.firstTokenTimeoutMs, stallTimeoutMs: engine.firstTokenTimeoutMs } : sectionConfig;

let reportPassive: ((replicaId: string, kind: string, reason: string) => void) | undefined;
const rng = createRng(Number(opts.seed)).fork(`gateway/${opts.region}`);
const pool = new UpstreamPool(config, realClock, events, rng, (id, kind, reason) => reportPassive?.(id, kind, reason));
// external replicas may need an API key, read from the environment variable the topology names
const apiKeys = new Map(topology.replicas.flatMap((r) => (r.external?.apiKeyEnv && process.env[r.external.apiKeyEnv] ? [[r.id, process.env[r.external.apiKeyEnv]!] as const] : [])));
const watch = watchTopology(opts.controlPlane, name, opts.region, realClock, log, (t) => {
  pool.setTopology(
    t.replicas
      .filter((r) => r.routable)
      .map((r) => (apiKeys.has(r.replicaId) ? { ...r, apiKey: apiKeys.get(r.replicaId)! } : r))
      .map((r) => (runtimeOfReplica(topology, r.replicaId) === 'llamacpp' ? { ...r, versionFromRegistration: true } : r)),
  );
});
reportPassive = (replicaId, kind, reason) =>
  watch.client().ReportPassive({ gatewayId: name, replicaId, action: 'eject', kind, reason }, () => undefined);

const stored = await openRegionCompletions(opts.labDir, opts.region, topology, realClock, events, metrics.registry);
const server = await startGatewayServer({ id: name, region: opts.region, modelName: topology.model.name, ...(topology.routes || topology.clusters.every((c) => c.runtime === 'llamacpp') ? { routes: routesFromTopology(topology) } : {}), config, pool, clock: realClock, events, metrics, completions: stored.completions, regionStore: stored.store }, opts.host, Number(opts.port));
writeReadyFile(opts.labDir, name, { url: server.url, region: opts.region });
log.info({ url: server.url }, 'gateway listening');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  watch.close();
  pool.close();
  stored.replicator.stop();
  await server.close();
  await stored.store.close();
  process.exit(EXIT.ok);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
