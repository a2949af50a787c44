// Follows the control plane's WatchTopology stream, reconnecting with capped backoff. Between
// connections the last topology stays in force (routing survives a control-plane outage).
import { controlPlanePackage, grpc } from '../core/grpc.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { ControlPlaneClient } from '../gen/halab/v1/ControlPlane.js';
import type { Topology__Output } from '../gen/halab/v1/Topology.js';
import type { Logger } from '../core/log.js';

export interface TopologyWatch {
  client(): ControlPlaneClient;
  close(): void;
}

export function watchTopology(
  address: string,
  gatewayId: string,
  region: string,
  clock: Clock,
  log: Logger,
  onTopology: (t: Topology__Output) => void,
): TopologyWatch {
  const { ControlPlane } = controlPlanePackage();
  const client = new ControlPlane(address, grpc.credentials.createInsecure());
  let closed = false;
  let backoffMs = 100;
  let retry: TimerHandle | undefined;
  let call: grpc.ClientReadableStream<Topology__Output> | undefined;

  const connect = (): void => {
    if (closed) return;
    call = client.WatchTopology({ gatewayId, region });
    call.on('data', (t: Topology__Output) => {
      backoffMs = 100;
      onTopology(t);
    });
    const again = (why: string): void => {
      if (closed || !call) return;
      call = undefined;
      log.warn({ why, backoffMs }, 'topology watch lost; keeping the last topology');
      retry = clock.setTimer(backoffMs, connect);
      backoffMs = Math.min(2000, backoffMs * 2);
    };
    call.on('error', (err: Error) => again(err.message));
    call.on('end', () => again('stream ended'));
  };
  connect();
  return {
    client: () => client,
    close() {
      closed = true;
      retry?.cancel();
      call?.cancel();
      client.close();
    },
  };
}
