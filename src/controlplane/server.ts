// gRPC edge of the control plane: turns halab.v1.ControlPlane calls into ControlPlane methods.
import type { Clock } from '../core/clock.js';
import { bindServer, controlPlanePackage, grpc } from '../protocol/grpc.js';
import type { LabEvent } from '../record/events.js';
import type { ControlPlaneHandlers } from '../gen/halab/v1/ControlPlane.js';
import type { Topology as TopologyMsg } from '../gen/halab/v1/Topology.js';
import type { Event as EventMsg } from '../gen/halab/v1/Event.js';
import type { Status } from '../gen/halab/v1/Status.js';
import type { ControlPlane, RoutableSnapshot } from './fleet/control-plane.js';
import type { BackupResult } from '../store/backup.js';
import type { DeployController } from './deploy/controller.js';
import { deployHandlers } from './deploy/grpc.js';
import { callerOf, labAuthInterceptor } from '../protocol/grpc-auth.js';
import { currentLabAuth, replicaIdentity } from '../protocol/lab-auth.js';
import { EV } from '../record/event-types.js';
import type { EventSink } from '../record/events.js';

/** Keeps recent events for WatchEvents subscribers (bounded). */
export class EventHub {
  private readonly recent: LabEvent[] = [];
  private readonly subscribers = new Set<(e: LabEvent) => void>();

  constructor(private readonly keepMax = 10_000) {}

  publish(event: LabEvent): void {
    this.recent.push(event);
    if (this.recent.length > this.keepMax) this.recent.splice(0, this.recent.length - this.keepMax);
    for (const s of this.subscribers) s(event);
  }

  subscribe(sinceMs: number, fn: (e: LabEvent) => void): () => void {
    for (const e of this.recent) if (e.atMs >= sinceMs) fn(e);
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }
}

function toTopologyMsg(s: RoutableSnapshot, region: string): TopologyMsg {
  return { version: s.version, atMs: s.atMs, replicas: s.replicas.filter((r) => !region || r.region === region) };
}

function toEventMsg(e: LabEvent): EventMsg {
  return { atMs: e.atMs, source: e.source, type: e.type, subject: e.subject, reason: e.reason ?? '', dataJson: e.data ? JSON.stringify(e.data) : '' };
}

export function statusOf(cp: ControlPlane, nowMs: number): Status {
  const serving = cp.servingClusters();
  const clusters = cp.registry.clusterHealth();
  return {
    atMs: nowMs,
    topologyVersion: cp.current().version,
    replicas: [...cp.registry.replicas.values()].map((r) => ({
      replicaId: r.id,
      region: r.region,
      cluster: r.cluster,
      httpUrl: r.httpUrl,
      agentAddress: r.agentAddress,
      pid: r.pid,
      connected: r.connected,
      healthy: r.connected && r.health === 'healthy',
      routable: r.routable,
      modelVersion: r.modelVersion,
      signals: Object.fromEntries(Object.entries(r.signals).map(([k, v]) => [k, v.health])),
      reason: Object.values(r.signals).find((s) => s.health === 'unhealthy')?.lastReason ?? '',
    })),
    clusters: clusters.map((c) => {
      const spec = cp.registry.topology.clusters.find((s) => s.id === c.id)!;
      return { region: c.region, cluster: spec.name, role: c.role, serving: serving.has(c.id), healthy: c.healthy, total: c.total };
    }),
  };
}

export interface ControlPlaneServer {
  readonly address: string;
  close(): Promise<void>;
}

export interface ControlPlaneServerOptions {
  readonly host: string;
  readonly port: number;
  readonly heartbeatIntervalMs: number;
  readonly clock: Clock;
  /** HA: only the leader serves; followers answer UNAVAILABLE naming the leader. */
  readonly leadership?: LeaderGuard;
  /** Takes a backup now (the Backup RPC); absent when no backup location is configured. */
  readonly backup?: () => Promise<BackupResult>;
  /** Deployments (StartDeploy, GetDeploy, WatchDeploy); absent: those answer UNIMPLEMENTED. */
  readonly deploys?: DeployController;
  /** Where refused (unauthenticated or wrongly identified) calls are recorded. */
  readonly events?: EventSink;
  /** This server's name in those events (default `controlplane`). */
  readonly name?: string;
}

export interface LeaderGuard {
  readonly instance: string;
  isLeader(): boolean;
  term(): number;
  /** Details of the UNAVAILABLE a follower answers with. */
  notLeader(): string;
}

/** Wraps every handler so a follower refuses the call with UNAVAILABLE (clients move on). */
function leaderOnly(handlers: ControlPlaneHandlers, guard: LeaderGuard): ControlPlaneHandlers {
  const refuse = () => ({ code: grpc.status.UNAVAILABLE, details: guard.notLeader() });
  const wrapped: Record<string, unknown> = {};
  type AnyCall = { on?: (event: string, fn: () => void) => void; emit: (event: string, err: unknown) => void };
  for (const [name, fn] of Object.entries(handlers) as [string, (call: AnyCall, callback?: unknown) => void][]) {
    wrapped[name] = (call: AnyCall, callback?: unknown) => {
      if (guard.isLeader()) return fn(call, callback);
      if (typeof callback === 'function') {
        if (typeof call.on === 'function' && name === 'Heartbeat') call.on('error', () => undefined);
        return callback(refuse());
      }
      call.emit('error', refuse());
    };
  }
  return wrapped as unknown as ControlPlaneHandlers;
}

export async function startControlPlaneServer(cp: ControlPlane, hub: EventHub, opts: ControlPlaneServerOptions): Promise<ControlPlaneServer> {
  const { host, port, heartbeatIntervalMs, clock } = opts;
  const server = new grpc.Server({ interceptors: [labAuthInterceptor((r) => opts.events?.emit(EV.authRefused, opts.name ?? 'controlplane', r.reason, { surface: 'grpc', method: r.method, peer: r.peer }))] });
  const currentStream = new Map<string, object>();
  const self = opts.name ?? 'controlplane';
  const refuse = (method: string, reason: string, caller: string | undefined): void => {
    opts.events?.emit(EV.authRefused, self, reason, { surface: 'grpc', method, ...(caller ? { caller } : {}) });
  };
  /** Within a lab a replica id is registered and kept alive only by that replica's own identity. */
  const identityRefusal = (caller: string | undefined, replicaId: string): string | undefined => {
    if (!currentLabAuth() || caller === replicaIdentity(replicaId)) return undefined;
    const live = cp.registry.replicas.get(replicaId)?.connected === true;
    return `${caller ?? 'an unidentified caller'} may not speak for replica ${replicaId}${live ? ' (it is live)' : ''}: only ${replicaIdentity(replicaId)} may`;
  };
  const handlers: ControlPlaneHandlers = {
    Register(call, callback) {
      const req = call.request;
      const refusal = identityRefusal(callerOf(call.metadata), req.replicaId);
      if (refusal) {
        refuse('Register', refusal, callerOf(call.metadata));
        callback({ code: grpc.status.PERMISSION_DENIED, details: refusal });
        return;
      }
      if (!cp.register({ replicaId: req.replicaId, httpUrl: req.httpUrl, agentAddress: req.agentAddress, pid: req.pid, modelVersion: req.modelVersion })) {
        callback({ code: grpc.status.INVALID_ARGUMENT, details: `unknown replica id "${req.replicaId}": not in topology ${cp.registry.topology.file}` });
        return;
      }
      callback(null, { heartbeatIntervalMs });
    },
    Heartbeat(call, callback) {
      let id = '';
      const token = {};
      let refused = false;
      call.on('data', (msg: { replicaId: string }) => {
        if (refused) return;
        if (!id) {
          const refusal = identityRefusal(callerOf(call.metadata), msg.replicaId);
          if (refusal) {
            refused = true;
            refuse('Heartbeat', refusal, callerOf(call.metadata));
            callback({ code: grpc.status.PERMISSION_DENIED, details: refusal });
            return;
          }
          id = msg.replicaId;
          currentStream.set(id, token);
        }
        cp.heartbeat(id);
      });
      const end = (reason: string): void => {
        if (id && currentStream.get(id) === token) {
          currentStream.delete(id);
          cp.disconnected(id, reason);
        }
      };
      call.on('end', () => {
        end('heartbeat stream ended');
        if (!refused) callback(null, {});
      });
      call.on('error', (err) => end(`heartbeat stream failed: ${err.message}`));
      call.on('close', () => end('heartbeat stream closed'));
    },
    WatchTopology(call) {
      const region = call.request.region;
      const unsubscribe = cp.watch((s) => call.write(toTopologyMsg(s, region)));
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
      call.on('error', unsubscribe);
    },
    GetStatus(_call, callback) {
      callback(null, { ...statusOf(cp, clock.nowMs()), instance: opts.leadership?.instance ?? 'controlplane', leaderTerm: opts.leadership?.term() ?? 0 });
    },
    WatchEvents(call) {
      const unsubscribe = hub.subscribe(call.request.sinceMs, (e) => call.write(toEventMsg(e)));
      call.on('cancelled', unsubscribe);
      call.on('close', unsubscribe);
    },
    ReportPassive(call, callback) {
      if (call.request.action === 'eject') cp.passiveHint(call.request.replicaId);
      callback(null, {});
    },
    Backup(_call, callback) {
      if (!opts.backup) return callback({ code: grpc.status.FAILED_PRECONDITION, details: 'no backup location configured (topology controlPlane.backup.url)' });
      opts.backup().then(
        (r) => callback(null, { ...r, pruned: [...r.pruned] }),
        (err: Error) => callback({ code: grpc.status.INTERNAL, details: `backup failed: ${err.message}` }),
      );
    },
    ...deployHandlers(cp, opts.deploys),
  };
  server.addService(controlPlanePackage().ControlPlane.service, opts.leadership ? leaderOnly(handlers, opts.leadership) : handlers);
  const bound = await bindServer(server, host, port);
  return {
    address: `${host}:${bound}`,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = clock.setTimer(1000, () => server.forceShutdown());
        server.tryShutdown(() => {
          timer.cancel();
          resolve();
        });
      }),
  };
}

