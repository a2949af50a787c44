// Runs etcd (Debian's etcd-server) for a lab: one member on 127.0.0.1 with two free ephemeral
// ports, its data under <lab>/etcd, tuned for fast lease expiry (heartbeat 50 ms, election 500 ms,
// so leases as short as 1 s are granted). `halab down` finds it by its --data-dir.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import { isAlive, logTail } from '../process/launcher.js';
import { recordLaunch } from '../process/owned.js';
import { logFile } from '../process/paths.js';
import { freePort } from '../core/free-port.js';

export const ETCD_BINARY = process.env.HALAB_ETCD ?? 'etcd';

export interface EtcdArgs {
  readonly args: readonly string[];
  readonly clientUrl: string;
}

export async function etcdArgs(labDir: string, clientPort?: number): Promise<EtcdArgs> {
  const client = clientPort ?? (await freePort());
  const peer = await freePort();
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  return {
    clientUrl,
    args: [
      '--name', 'halab',
      '--data-dir', join(labDir, 'etcd'),
      '--listen-client-urls', clientUrl,
      '--advertise-client-urls', clientUrl,
      '--listen-peer-urls', peerUrl,
      '--initial-advertise-peer-urls', peerUrl,
      '--initial-cluster', `halab=${peerUrl}`,
      '--heartbeat-interval', '50',
      '--election-timeout', '500',
      '--log-level', 'warn',
    ],
  };
}

/** Spawns etcd detached with its output in the lab's log, records it in the launch ledger; returns its pid. */
export function spawnEtcd(labDir: string, name: string, args: readonly string[]): number {
  const log = logFile(labDir, name);
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  try {
    const child = spawn(ETCD_BINARY, [...args], { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => undefined);
    child.unref();
    if (!child.pid) throw new HalabError('PREREQUISITE_MISSING', `cannot start ${ETCD_BINARY}`, 'install etcd-server (scripts/setup.sh does)');
    recordLaunch(labDir, name, child.pid);
    return child.pid;
  } finally {
    closeSync(fd);
  }
}

/** Waits for etcd's /health to say true. */
export async function waitEtcdHealthy(labDir: string, name: string, pid: number, clientUrl: string, clock: Clock, timeoutMs = 15_000): Promise<void> {
  const deadline = clock.monoMs() + timeoutMs;
  while (clock.monoMs() < deadline) {
    if (!isAlive(pid)) throw new HalabError('LAB_START_FAILED', `etcd exited during start-up:\n${logTail(labDir, name)}`, 'is etcd-server installed? (scripts/setup.sh)');
    try {
      const res = await fetch(`${clientUrl}/health`, { signal: AbortSignal.timeout(1000) });
      const body = (await res.json()) as { health?: string };
      if (body.health === 'true') return;
    } catch {
      // not up yet
    }
    await clock.sleep(50);
  }
  throw new HalabError('LAB_START_FAILED', `etcd at ${clientUrl} not healthy within ${timeoutMs}ms:\n${logTail(labDir, name)}`);
}
