// Follows the control plane's WatchTopology stream, reconnecting with capped backoff. Between
// connections the last topology stays in force (routing survives a control-plane outage).
import { controlPlanePackage, grpc } from '../../protocol/grpc.js';
import { labClientOptions } from '../../protocol/grpc-auth.js';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { ControlPlaneClient } from '../../gen/halab/v1/ControlPlane.js';
import type { Topology__Output } from '../../gen/halab/v1/Topology.js';
import type { Logger } from '../../core/log.js';
import { Endpoints } from '../../protocol/cp-endpoints.js';
import { reconnectDelayMs } from '../../policy/backoff.js';

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
  // Several addresses (HA): only the leader serves; a refusal or a dead instance moves to the next.
  const endpoints = new Endpoints(address);
  const clients = new Map<string, ControlPlaneClient>();
  const clientFor = (a: string): ControlPlaneClient => {
    let c = clients.get(a);
    if (!c) clients.set(a, (c = new ControlPlane(a, grpc.credentials.createInsecure(), labClientOptions())));
    return c;
  };
  let closed = false;
  let retry: TimerHandle | undefined;
  let call: grpc.ClientReadableStream<Topology__Output> | undefined;

  const connect = (): void => {
    if (closed) return;
    call = clientFor(endpoints.current()).WatchTopology({ gatewayId, region });
    call.on('data', (t: Topology__Output) => {
      endpoints.succeeded();
      onTopology(t);
    });
    const again = (why: string, details?: string): void => {
      if (closed || !call) return;
      call = undefined;
      const { address: next, failedRounds } = endpoints.failed(details);
      const delayMs = reconnectDelayMs(failedRounds);
      log.warn({ why, next, delayMs }, 'topology watch lost; keeping the last topology');
      retry = clock.setTimer(delayMs, connect);
    };
    call.on('error', (err: grpc.ServiceError) => again(err.message, err.details));
    call.on('end', () => again('stream ended'));
  };
  connect();
  return {
    client: () => clientFor(endpoints.current()),
    close() {
      closed = true;
      retry?.cancel();
      call?.cancel();
      for (const c of clients.values()) c.close();
    },
  };
}
