// Replica host process entry (topology `replicaHost: shared`): runs every stand-in replica of one
// cluster, each with its own listeners, agent, faults, registration and identity (replica-host.ts).
// `node dist/src/replica/host-main.js --cluster R/C --host H --topology F --lab-dir D [--control-plane ADDR] [--seed N]`
// Its control routes (loopback, lab components only): POST /replicas/<id>/restart (a heal: starts
// a crashed replica again and answers its addresses), POST /replicas/<id>/stop, GET /replicas.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { Command } from 'commander';
import { EXIT } from '../core/exit-codes.js';
import { realClock } from '../core/clock.js';
import { fileEventSink, type EventSink } from '../record/events.js';
import { createLogger } from '../core/log.js';
import { loadTopology } from '../config/topology.js';
import { eventsFile, logFile, writeReadyFile } from '../process/paths.js';
import { scaledProfile } from './profiles.js';
import { startReplica } from './replica-server.js';
import { labAuthFrom, replicaIdentity, useLabAuth } from '../protocol/lab-auth.js';
import { loadLabAuth, readLabSecret } from '../process/lab-secret.js';
import { ReplicaHost } from './replica-host.js';
import { labCaller, requestPath } from '../protocol/http-guard.js';
import { listenHttp, sendError } from '../protocol/openai-http.js';

const opts = new Command()
  .requiredOption('--cluster <region/cluster>')
  .requiredOption('--host <host>')
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--control-plane <address>')
  .option('--seed <n>', 'seed of the replicas\' rngs (error-rate draws)', '0')
  .parse()
  .opts<{ cluster: string; host: string; topology: string; labDir: string; controlPlane?: string; seed: string }>();

const name = `replica-host/${opts.cluster}`;
useLabAuth(loadLabAuth(opts.labDir, name));
const secret = readLabSecret(opts.labDir);
const topology = loadTopology(opts.topology);
const log = createLogger(name, logFile(opts.labDir, name));
const [region, cluster] = opts.cluster.split('/');
const specs = topology.replicas.filter((r) => r.region === region && r.cluster === cluster && !r.external && r.runtime === 'standin');
if (specs.length === 0) throw new Error(`--cluster ${opts.cluster}: no stand-in replicas of that cluster in ${opts.topology}`);
const profile = scaledProfile(topology.profile, topology.timeScale, topology.modelLoadMs);

/** Events of one incarnation: none are recorded once it has crashed (a dead process writes nothing). */
function incarnationSink(inner: EventSink, alive: () => boolean): EventSink {
  const silent = fileEventSink(undefined, 'dead', realClock);
  return { emit: (type, subject, reason, ...data) => (alive() ? inner.emit(type, subject, reason, ...data) : silent.emit(type, subject, reason, ...data)) };
}

const host = new ReplicaHost(specs.map((s) => s.id), { name, labDir: opts.labDir, hostPid: process.pid, log }, async (id, vpid, crashed) => {
  let alive = true;
  const sink = fileEventSink(eventsFile(opts.labDir, `replica/${id}`), `replica/${id}`, realClock);
  return startReplica({
    id,
    region: region!,
    cluster: cluster!,
    host: opts.host,
    modelName: topology.model.name,
    modelVersion: topology.model.version,
    profile,
    seed: Number(opts.seed),
    clock: realClock,
    events: incarnationSink(sink, () => alive),
    log: log.child({ replica: id }),
    pid: vpid,
    auth: labAuthFrom(secret, replicaIdentity(id)),
    ...(opts.controlPlane ? { controlPlane: opts.controlPlane } : {}),
    exit: (code) => {
      alive = false;
      crashed(code);
    },
  });
});

const control = createServer((req, res) => {
  try {
    serveControl(req, res);
  } catch (err) {
    req.resume();
    sendError(res, 400, `${name}: ${(err as Error).message}`, 'bad_request', null);
  }
});

function serveControl(req: IncomingMessage, res: ServerResponse): void {
  const caller = labCaller(req);
  if (!caller || !(caller === 'cli' || caller.startsWith('controlplane'))) {
    req.resume();
    return sendError(res, caller ? 403 : 401, `${name}: its control routes are for the CLI and the control plane only`, 'unauthenticated', null);
  }
  const path = requestPath(req);
  const json = (status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  if (req.method === 'GET' && path === '/replicas') return json(200, host.ids().map((id) => ({ id, state: host.state(id), ...host.info(id) })));
  const m = /^\/replicas\/([a-z0-9-]+\/[a-z0-9-]+\/\d+)\/(restart|stop)$/.exec(path);
  if (req.method !== 'POST' || !m) return sendError(res, 404, `no route for ${req.method} ${path.slice(0, 200)}`, 'not_found', null);
  const [, id, action] = m;
  if (!host.state(id!)) return sendError(res, 404, `replica ${id} is not hosted by ${name}`, 'not_found', null);
  req.resume();
  const done = action === 'restart' ? host.start(id!).then((info) => json(200, { ...info, state: host.state(id!) })) : host.stop(id!).then(() => json(200, { id, state: host.state(id!) }));
  done.catch((err: Error) => sendError(res, 500, `${action} of ${id} failed: ${err.message}`, 'internal_error', null));
}
const controlUrl = (await listenHttp(control, opts.host, 0)).url;
const replicas = await host.startAll();
writeReadyFile(opts.labDir, name, { url: controlUrl, replicas });
log.info({ controlUrl, replicas: replicas.length }, 'replica host listening; models loading');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  control.close();
  await host.closeAll();
  process.exit(EXIT.ok);
}
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
