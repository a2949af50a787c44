// Runs the sidecar of one llama.cpp replica in this process (called by replica/main.ts when the
// replica's cluster has `runtime: llamacpp`): proxy and agent first (the ready file), then the
// engine, which registers the replica with the control plane once it serves.
import { EXIT } from '../core/exit-codes.js';
import type { Clock } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { EventSink } from '../record/events.js';
import type { Topology } from '../config/topology.js';
import { logFile, writeReadyFile } from '../process/paths.js';
import { LogCapper, logMaxBytes } from '../core/log-cap.js';
import { readFileSync, readdirSync } from 'node:fs';
import { startSidecarAgent } from './llamacpp-agent.js';
import { LlamacppSidecar } from './llamacpp-sidecar.js';
import { serveProcessMetrics } from '../record/process-metrics.js';

export interface LlamacppReplicaArgs {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly host: string;
  readonly labDir: string;
  readonly modelVersion: string;
  readonly controlPlane?: string;
  readonly topology: Topology;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly log: Logger;
}

/**
 * Kills an engine a killed predecessor of this sidecar left running (found by its log file, which
 * names this replica inside the lab directory), so a restarted replica never runs two engines.
 */
export function killOrphanEngines(engineLogFile: string): number[] {
  const killed: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args.includes(engineLogFile)) {
        process.kill(Number(entry), 'SIGKILL');
        killed.push(Number(entry));
      }
    } catch {
      // gone while we looked, or not ours to signal
    }
  }
  return killed;
}

export async function runLlamacppReplica(a: LlamacppReplicaArgs): Promise<void> {
  const name = `replica/${a.id}`;
  const orphans = killOrphanEngines(logFile(a.labDir, `engine/${a.id}`));
  // llama-server's stdout/stderr (appended to <engine log>.out) is kept under the lab-wide cap
  const engineOut = new LogCapper([`${logFile(a.labDir, `engine/${a.id}`)}.out`], { maxBytes: logMaxBytes() }, a.clock).start();
  if (orphans.length) a.log.warn({ pids: orphans }, 'killed the engine a previous sidecar left running');
  const sidecar = new LlamacppSidecar({
    id: a.id,
    region: a.region,
    cluster: a.cluster,
    host: a.host,
    modelVersion: a.modelVersion,
    engine: a.topology.llamacppEngine!,
    engineLogFile: logFile(a.labDir, `engine/${a.id}`),
    clock: a.clock,
    events: a.events,
    log: a.log,
    ...(a.controlPlane ? { controlPlane: a.controlPlane } : {}),
  });
  await sidecar.listen();
  const agent = await startSidecarAgent(a.id, sidecar, a.host, a.clock, a.events);
  // the sidecar's own event-loop delay and utilisation (its HTTP port is the engine's, proxied)
  const metrics = await serveProcessMetrics(a.host);
  writeReadyFile(a.labDir, name, { httpUrl: sidecar.httpUrl, agentAddress: agent.address, runtime: 'llamacpp', metricsUrl: metrics.url });
  a.log.info({ httpUrl: sidecar.httpUrl, agentAddress: agent.address }, 'llama.cpp sidecar listening; starting the engine');
  let stopping = false;
  const shutdown = async (signal: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    a.log.info({ signal }, 'shutting down (engine first)');
    metrics.close();
    await sidecar.close();
    await agent.close();
    engineOut.stop();
    process.exit(EXIT.ok);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
  const loaded = await sidecar.start(agent.address).then(() => sidecar.loaded);
  if (!loaded) a.log.warn({}, 'the engine did not start; the replica stays unregistered');
}
