// Keeps a replica registered with the control plane: Register, then a Heartbeat stream that stays
// open for the replica's life (its end tells the control plane at once that the replica is gone).
// Any failure is retried with capped backoff; the replica never dies of a missing control plane.
import { controlPlanePackage, grpc } from '../protocol/grpc.js';
import { labClientOptions } from '../protocol/grpc-auth.js';
import type { LabAuth } from '../protocol/lab-auth.js';
import type { Clock, TimerHandle } from '../core/clock.js';
import type { Logger } from '../core/log.js';
import type { ControlPlaneClient } from '../gen/halab/v1/ControlPlane.js';
import type { HeartbeatMessage } from '../gen/halab/v1/HeartbeatMessage.js';
import { Endpoints } from '../protocol/cp-endpoints.js';
import { reconnectDelayMs } from '../policy/backoff.js';

export interface RegistrationInfo {
  readonly replicaId: string;
  readonly region: string;
  readonly cluster: string;
  readonly httpUrl: string;
  readonly agentAddress: string;
  /** Pid reported to the control plane (default: this process's); a hosted replica's pid-like id. */
  readonly pid?: number;
  /** Credentials it speaks with (default: this process's); a hosted replica's own. */
  readonly auth?: LabAuth;
}

/** What registration reads from the replica it keeps registered (a stand-in core or a llama.cpp sidecar). */
export interface RegistrationSource {
  readonly version: string;
  readonly engine: { stats(): { readonly running: number; readonly waiting: number } };
}

export class Registration {
  /** Control-plane instances (HA): the replica moves to the leader when one refuses or dies. */
  private readonly endpoints: Endpoints;
  private readonly clients = new Map<string, ControlPlaneClient>();
  private stream: grpc.ClientWritableStream<HeartbeatMessage> | undefined;
  private beat: TimerHandle | undefined;
  private retry: TimerHandle | undefined;
  private closed = false;

  constructor(
    address: string,
    private readonly info: RegistrationInfo,
    private readonly core: RegistrationSource,
    private readonly clock: Clock,
    private readonly log: Logger,
  ) {
    this.endpoints = new Endpoints(address);
  }

  private get client(): ControlPlaneClient {
    const address = this.endpoints.current();
    let c = this.clients.get(address);
    if (!c) {
      const { ControlPlane } = controlPlanePackage();
      c = new ControlPlane(address, grpc.credentials.createInsecure(), labClientOptions(this.info.auth));
      this.clients.set(address, c);
    }
    return c;
  }

  start(): void {
    this.register();
  }

  close(): void {
    this.closed = true;
    this.beat?.cancel();
    this.retry?.cancel();
    this.stream?.end();
    for (const c of this.clients.values()) c.close();
  }

  /** Ends at once, as a killed process's connections do: the heartbeat stream is cancelled, not closed. */
  abort(): void {
    this.closed = true;
    this.beat?.cancel();
    this.retry?.cancel();
    this.stream?.cancel();
    for (const c of this.clients.values()) c.close();
  }

  private register(): void {
    if (this.closed) return;
    const { auth: _auth, ...info } = this.info;
    const req = { ...info, pid: this.info.pid ?? process.pid, modelVersion: this.core.version };
    this.client.Register(req, { deadline: new Date(this.clock.nowMs() + 2000) }, (err, reply) => {
      if (this.closed) return;
      if (err || !reply) return this.again(`register failed: ${err?.details ?? 'empty reply'}`, err?.details);
      this.endpoints.succeeded();
      this.openHeartbeat(reply.heartbeatIntervalMs > 0 ? reply.heartbeatIntervalMs : 500);
    });
  }

  private openHeartbeat(intervalMs: number): void {
    let ended = false;
    const stream = this.client.Heartbeat((err) => {
      if (!ended) {
        ended = true;
        this.again(`heartbeat stream ended: ${err?.details ?? 'closed by the control plane'}`, err?.details);
      }
    });
    this.stream = stream;
    stream.on('error', () => undefined); // reported through the callback above
    const send = (): void => {
      if (ended || this.closed) return;
      const stats = this.core.engine.stats();
      stream.write({ replicaId: this.info.replicaId, atMs: this.clock.nowMs(), running: stats.running, waiting: stats.waiting });
      this.beat = this.clock.setTimer(intervalMs, send);
    };
    send();
  }

  private again(why: string, details?: string): void {
    if (this.closed) return;
    this.beat?.cancel();
    this.stream = undefined;
    const { address, failedRounds } = this.endpoints.failed(details);
    const delayMs = reconnectDelayMs(failedRounds);
    this.log.warn({ why, next: address, delayMs }, 'control plane connection lost; retrying');
    this.retry = this.clock.setTimer(delayMs, () => this.register());
  }
}
