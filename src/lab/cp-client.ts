// A small promise-based client of the control plane, for the CLI and the lab.
import { controlPlanePackage, grpc } from '../protocol/grpc.js';
import { labClientOptions } from '../protocol/grpc-auth.js';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { Status__Output } from '../gen/halab/v1/Status.js';
import type { BackupReply__Output } from '../gen/halab/v1/BackupReply.js';

export type { Status__Output as ControlPlaneStatus };

/**
 * Status from the control plane at `address` — or, for a comma-separated list (HA), from the first
 * instance that answers (the leader; followers refuse with UNAVAILABLE).
 */
export async function getStatus(address: string, clock: Clock, timeoutMs = 2000): Promise<Status__Output> {
  const all = address.split(',').filter(Boolean);
  if (all.length <= 1) return getStatusOne(address, clock, timeoutMs);
  const errors: string[] = [];
  for (const a of all) {
    try {
      return await getStatusOne(a, clock, timeoutMs);
    } catch (err) {
      errors.push((err as Error).message);
    }
  }
  throw new HalabError('UPSTREAM_FAILED', `no control-plane instance answered as leader: ${errors.join('; ')}`);
}

function getStatusOne(address: string, clock: Clock, timeoutMs: number): Promise<Status__Output> {
  const { ControlPlane } = controlPlanePackage();
  const client = new ControlPlane(address, grpc.credentials.createInsecure(), labClientOptions());
  return new Promise<Status__Output>((resolve, reject) => {
    client.GetStatus({}, { deadline: new Date(clock.nowMs() + timeoutMs) }, (err, status) => {
      client.close();
      if (err || !status) reject(new HalabError('UPSTREAM_FAILED', `control plane at ${address} did not answer: ${err?.details ?? 'empty reply'}`));
      else resolve(status);
    });
  });
}

/** Polls status until `done(status)` or the timeout; returns the last status. */
export async function waitForStatus(
  address: string,
  clock: Clock,
  timeoutMs: number,
  done: (s: Status__Output) => boolean,
  describe: (s: Status__Output) => string,
): Promise<Status__Output> {
  const deadline = clock.monoMs() + timeoutMs;
  let last: Status__Output | undefined;
  while (clock.monoMs() < deadline) {
    try {
      last = await getStatus(address, clock);
      if (done(last)) return last;
    } catch {
      // not up yet
    }
    await clock.sleep(100);
  }
  throw new HalabError('LAB_START_FAILED', `timed out after ${timeoutMs}ms waiting for the lab: ${last ? describe(last) : 'control plane never answered'}`);
}

/** Asks the control-plane leader for a backup now (the first instance that accepts; followers refuse). */
export async function requestBackup(address: string, clock: Clock, timeoutMs = 30_000): Promise<BackupReply__Output> {
  const { ControlPlane } = controlPlanePackage();
  const errors: string[] = [];
  for (const a of address.split(',').filter(Boolean)) {
    const client = new ControlPlane(a, grpc.credentials.createInsecure(), labClientOptions());
    try {
      return await new Promise<BackupReply__Output>((resolve, reject) => {
        client.Backup({}, { deadline: new Date(clock.nowMs() + timeoutMs) }, (err, reply) => (err || !reply ? reject(err ?? new Error('empty reply')) : resolve(reply)));
      });
    } catch (err) {
      const e = err as grpc.ServiceError;
      if (e.code === grpc.status.FAILED_PRECONDITION || e.code === grpc.status.INTERNAL) throw new HalabError('UPSTREAM_FAILED', `backup by ${a}: ${e.details}`);
      errors.push(`${a}: ${e.details ?? e.message}`);
    } finally {
      client.close();
    }
  }
  throw new HalabError('UPSTREAM_FAILED', `no control-plane leader took the backup: ${errors.join('; ')}`);
}
