// Replica process entry:
// `node dist/src/replica/main.js --id R/C/I --host H --topology F --lab-dir D [--control-plane ADDR] [--model-version V] [--seed N]`.
import { EXIT } from '../core/exit-codes.js';
import { Command } from 'commander';
import { realClock } from '../core/clock.js';
import { fileEventSink } from '../record/events.js';
import { parseTarget } from '../core/ids.js';
import { createLogger } from '../core/log.js';
import { loadTopology } from '../config/topology.js';
import { eventsFile, logFile, writeReadyFile } from '../process/paths.js';
import { scaledProfile } from './profiles.js';
import { startReplica } from './replica-server.js';
import { replicaIdentity, useLabAuth } from '../protocol/lab-auth.js';
import { loadLabAuth } from '../process/lab-secret.js';

const opts = new Command()
  .requiredOption('--id <replica-id>')
  .requiredOption('--host <host>')
  .requiredOption('--topology <file>')
  .requiredOption('--lab-dir <dir>')
  .option('--control-plane <address>')
  .option('--model-version <version>')
  .option('--model-behaviour <behaviour>', 'how the version behaves: ok | crash-on-load | slow | corrupt | error-rate', 'ok')
  .option('--seed <n>', 'seed of the replica rng (error-rate draws)', '0')
  .parse()
  .opts<{ id: string; host: string; topology: string; labDir: string; controlPlane?: string; modelVersion?: string; modelBehaviour: string; seed: string }>();

const ref = parseTarget(opts.id);
if (ref?.kind !== 'replica') throw new Error(`--id must be <region>/<cluster>/<index>, not "${opts.id}"`);
const name = `replica/${opts.id}`;
useLabAuth(loadLabAuth(opts.labDir, replicaIdentity(opts.id)));
const topology = loadTopology(opts.topology);
const log = createLogger(name, logFile(opts.labDir, name));
const spec = topology.replicas.find((r) => r.region === ref.region && r.cluster === ref.cluster);
const runStandin = async (): Promise<void> => {
  const replica = await startReplica({
    id: opts.id,
    region: ref.region,
    cluster: ref.cluster,
    host: opts.host,
    modelName: topology.model.name,
    modelVersion: opts.modelVersion ?? topology.model.version,
    modelBehaviour: opts.modelBehaviour,
    profile: scaledProfile(topology.profile, topology.timeScale, topology.modelLoadMs),
    seed: Number(opts.seed),
    clock: realClock,
    events: fileEventSink(eventsFile(opts.labDir, name), name, realClock),
    log,
    ...(opts.controlPlane ? { controlPlane: opts.controlPlane } : {}),
    exit: (code) => process.exit(code),
  });
  writeReadyFile(opts.labDir, name, { httpUrl: replica.httpUrl, agentAddress: replica.agentAddress });
  log.info({ httpUrl: replica.httpUrl, agentAddress: replica.agentAddress }, 'replica listening; loading model');

  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    await replica.close();
    process.exit(EXIT.ok);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
};

if (spec?.runtime === 'llamacpp') {
  const { runLlamacppReplica } = await import('./llamacpp-main.js');
  await runLlamacppReplica({
    id: opts.id,
    region: ref.region,
    cluster: ref.cluster,
    host: opts.host,
    labDir: opts.labDir,
    modelVersion: opts.modelVersion ?? topology.model.version,
    topology,
    clock: realClock,
    events: fileEventSink(eventsFile(opts.labDir, name), name, realClock),
    log,
    ...(opts.controlPlane ? { controlPlane: opts.controlPlane } : {}),
  });
} else {
  await runStandin();
}
