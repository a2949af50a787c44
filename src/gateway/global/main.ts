// Global load balancer process entry:
// `node dist/src/gateway/global/main.js --host H --routes JSON --default-region R --topology F --lab-dir D [--port P]`.
// --routes is a GlbRoutes object (src/gateway/glb-regions.ts): which URL reaches each region.
import { EXIT } from '../../core/exit-codes.js';
import { Command } from 'commander';
import { z } from 'zod';
import { realClock } from '../../core/clock.js';
import { fileEventSink } from '../../record/events.js';
import { createLogger } from '../../core/log.js';
import { loadTopology } from '../../config/topology.js';
import { eventsFile, logFile, writeReadyFile } from '../../process/paths.js';
import { glbConfigFrom } from './config.js';
import { createGlbMetrics } from './metrics.js';
import { GlbRegions } from './regions.js';
import { useUpstreamAgent } from '../regional/upstream-agent.js';
import { aggregateWorkerMetrics, isEdgeWorker, perWorker, runPrimary, shouldFork, workerListening } from '../regional/workers.js';
import { startGlbServer } from './server.js';
import { useLabAuth } from '../../protocol/lab-auth.js';
import { loadLabAuth } from '../../process/lab-secret.js';
import { routesFromTopology } from '../../config/model-routes.js';

const opts = new Command()
  .requiredOption('--host <host>')
  .requiredOption('--routes <json>')
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--default-region <region>')
  .option('--port <port>', 'port to bind (0: ephemeral)', '0')
  .parse()
  .opts<{ host: string; routes: string; topology: string; labDir: string; defaultRegion?: string; port: string }>();

const routesSchema = z.strictObject({
  regions: z.array(z.string()).min(1),
  check: z.record(z.string(), z.string().url()),
  via: z.record(z.string(), z.string().url()),
});

const name = 'glb';
useLabAuth(loadLabAuth(opts.labDir, name));
const log = createLogger(name, logFile(opts.labDir, name));
const topology = loadTopology(opts.topology);
const routes = routesSchema.parse(JSON.parse(opts.routes));
const metrics = createGlbMetrics();
const events = fileEventSink(eventsFile(opts.labDir, name), name, realClock, (e) => metrics.observeEvent(e));
// behind gateways of real llama.cpp engines, twice the gateways' timeouts (they retry within theirs),
// unless the topology's entry: section sets them
const engineTimeoutMs = topology.llamacppEngine?.firstTokenTimeoutMs;
const entryConfig = glbConfigFrom(topology.entry, topology.file);
const config = engineTimeoutMs && topology.entry?.firstTokenTimeoutMs === undefined ? { ...entryConfig, firstTokenTimeoutMs: 2 * engineTimeoutMs, stallTimeoutMs: 2 * engineTimeoutMs } : entryConfig;
const workers = config.workers;
if (shouldFork(workers)) {
  // the primary only forks, watches and stops the workers; each worker is a whole GLB
  await runPrimary(workers, {
    onReady: (url, pids) => {
      writeReadyFile(opts.labDir, name, { url, workers: pids });
      log.info({ url, workers: pids, routes }, 'global load balancer listening');
    },
    onWorkerExit: (pid, code, signal, replaced) => log.warn({ pid, code, signal, replaced }, 'global load balancer worker exited'),
  }).catch((err: Error) => {
    log.error({ err: err.message }, 'global load balancer workers failed to start');
    process.exit(EXIT.internal);
  });
} else {
  await serve();
}

async function serve(): Promise<void> {
  // a worker enforces its share of the process-wide bounds and state (see workers.ts)
  const share = isEdgeWorker() ? workers : 1;
  const bounds = share > 1 ? { ...config, inFlightMax: perWorker(config.inFlightMax, share), activeMax: perWorker(config.activeMax, share), queueMax: perWorker(config.queueMax, share), retryBudgetMinRetries: perWorker(config.retryBudgetMinRetries, share) } : config;
  // Every request of this process gives up connecting in time, and reuses kept-alive connections.
  useUpstreamAgent({ connectTimeoutMs: bounds.connectTimeoutMs });
  const regions = new GlbRegions(routes, bounds, realClock, events);
  regions.start();
  const defaultRegion = opts.defaultRegion ?? routes.regions[0]!;
  const server = await startGlbServer({ modelName: topology.model.name, ...(topology.routes ? { models: routesFromTopology(topology).map((r) => r.model) } : {}), defaultRegion, config: bounds, regions, clock: realClock, events, metrics }, opts.host, Number(opts.port));
  if (isEdgeWorker()) {
    aggregateWorkerMetrics(metrics.registry);
    workerListening(server.url);
  } else {
    writeReadyFile(opts.labDir, name, { url: server.url });
    log.info({ url: server.url, routes }, 'global load balancer listening');
  }

  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    regions.close();
    await server.close();
    process.exit(EXIT.ok);
  }
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}
