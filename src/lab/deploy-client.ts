// Promise-based client of the control plane's deploy API, for `halab deploy` and scenario deploy
// actions: start a deployment, and follow it to its end.
import { controlPlanePackage, grpc } from '../protocol/grpc.js';
import { labClientOptions } from '../protocol/grpc-auth.js';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { DeployRequest } from '../gen/halab/v1/DeployRequest.js';
import type { DeployStatus__Output } from '../gen/halab/v1/DeployStatus.js';

export type { DeployStatus__Output as DeployStatusMsg };

/** Starts a deployment. Bad input → USAGE (exit 2); one already running → USAGE too, with the reason. */
export function startDeploy(address: string, req: DeployRequest, clock: Clock): Promise<DeployStatus__Output> {
  const { ControlPlane } = controlPlanePackage();
  const client = new ControlPlane(address, grpc.credentials.createInsecure(), labClientOptions());
  return new Promise((resolve, reject) => {
    client.StartDeploy(req, { deadline: new Date(clock.nowMs() + 5000) }, (err, status) => {
      client.close();
      if (!err && status) return resolve(status);
      const usage = err?.code === grpc.status.INVALID_ARGUMENT || err?.code === grpc.status.FAILED_PRECONDITION;
      reject(new HalabError(usage ? 'USAGE' : 'UPSTREAM_FAILED', usage ? (err?.details ?? 'rejected') : `control plane at ${address} did not start the deployment: ${err?.details ?? 'empty reply'}`));
    });
  });
}

/** Follows a deployment, calling onStatus on every change; resolves with its final status. */
export function watchDeploy(address: string, deployId: string, onStatus: (s: DeployStatus__Output) => void, signal?: AbortSignal): Promise<DeployStatus__Output> {
  const { ControlPlane } = controlPlanePackage();
  const client = new ControlPlane(address, grpc.credentials.createInsecure(), labClientOptions());
  return new Promise((resolve, reject) => {
    let last: DeployStatus__Output | undefined;
    const call = client.WatchDeploy({ deployId });
    const onAbort = (): void => call.cancel();
    signal?.addEventListener('abort', onAbort, { once: true });
    const done = (err?: Error): void => {
      signal?.removeEventListener('abort', onAbort);
      client.close();
      if (last && last.state !== 'running') resolve(last);
      else reject(err ?? new HalabError('UPSTREAM_FAILED', `the watch of ${deployId} ended before the deployment did`));
    };
    call.on('data', (s: DeployStatus__Output) => {
      last = s;
      onStatus(s);
    });
    call.on('end', () => done());
    call.on('error', (err: grpc.ServiceError) => done(new HalabError('UPSTREAM_FAILED', `watching ${deployId} failed: ${err.details || err.message}`)));
  });
}
