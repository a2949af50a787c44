// The replica's gRPC agent (halab.v1.ReplicaAgent): health as the replica sees it, fault
// injection, drain and model loading. The control plane and the chaos engine call it.
import { EXIT } from '../core/exit-codes.js';
import { bindServer, grpc, replicaAgentPackage } from '../protocol/grpc.js';
import { isHalabError } from '../core/errors.js';
import type { ReplicaAgentHandlers } from '../gen/halab/v1/ReplicaAgent.js';
import type { ReplicaHealth } from '../gen/halab/v1/ReplicaHealth.js';
import type { FaultSpec } from '../gen/halab/v1/FaultSpec.js';
import { XID_MESSAGE } from './http-api.js';
import { MODEL_BEHAVIOURS, type ModelBehaviour } from '../config/model-behaviours.js';
import type { ReplicaCore } from './replica-core.js';
import { labAuthInterceptor } from '../protocol/grpc-auth.js';
import { EV } from '../record/event-types.js';

export interface AgentServer {
  readonly address: string;
  close(): Promise<void>;
  /** Stops at once: every call and connection is cut (a crash of the replica hosting it). */
  kill(): void;
}

function faultSpecs(core: ReplicaCore): FaultSpec[] {
  return core.faults.list().map((f) => ({ kind: f.kind, faultId: f.id, factor: f.factor, probability: f.probability, afterTokens: f.afterTokens }));
}

export function replicaHealth(core: ReplicaCore): ReplicaHealth {
  const stats = core.engine.stats();
  return {
    replicaId: core.opts.id,
    gpu: core.faults.xid() ? { state: 'xid', detail: XID_MESSAGE } : core.faults.thermal() ? { state: 'thermal', detail: 'clocks throttled' } : { state: 'ok', detail: '' },
    modelLoaded: core.loaded,
    modelVersion: core.version,
    draining: core.draining,
    running: stats.running,
    waiting: stats.waiting,
    kvCacheUsage: stats.kvUsage,
    requestsTotal: core.requestsTotal,
    errorsTotal: core.errorsTotal,
    faults: faultSpecs(core),
  };
}

export async function startAgent(core: ReplicaCore, host: string, port = 0): Promise<AgentServer> {
  const { events, id, clock } = core.opts;
  const handlers: ReplicaAgentHandlers = {
    Health(_call, cb) {
      cb(null, replicaHealth(core));
    },
    InjectFault(call, cb) {
      const spec = call.request;
      try {
        const fault = core.faults.inject(spec.kind, spec.faultId, { factor: spec.factor, probability: spec.probability, afterTokens: spec.afterTokens });
        events.emit('fault.applied', id, undefined, { ...fault });
        if (fault.kind === 'gpu.xid') core.engine.failAll(new Error(XID_MESSAGE));
        cb(null, { active: faultSpecs(core) });
        if (fault.kind === 'replica.crash') clock.setTimer(10, () => core.opts.exit(EXIT.crashed));
      } catch (err) {
        cb({ code: isHalabError(err) ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
    ClearFault(call, cb) {
      const cleared = core.faults.clear(call.request.faultId);
      if (cleared) events.emit('fault.cleared', id, undefined, { faultId: call.request.faultId || '*' });
      cb(null, { active: faultSpecs(core) });
    },
    Drain(call, cb) {
      core
        .drain(call.request.timeoutMs > 0 ? call.request.timeoutMs : 60_000)
        .then((r) => cb(null, r))
        .catch((err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }));
    },
    Undrain(_call, cb) {
      core.undrain();
      events.emit('drain.cancelled', id);
      cb(null, { inFlight: core.inFlight, drained: false, waitedMs: 0 });
    },
    LoadModel(call, cb) {
      const behaviour = (call.request.behaviour || 'ok') as ModelBehaviour;
      if (!MODEL_BEHAVIOURS.includes(behaviour)) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: `unknown behaviour "${behaviour}"; known: ${MODEL_BEHAVIOURS.join(', ')}` });
        return;
      }
      if (!call.request.modelVersion) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: 'model_version is required' });
        return;
      }
      core
        .loadModel(call.request.modelVersion, behaviour)
        .then((r) => cb(null, { loaded: r.loaded, modelVersion: core.version, loadMs: r.loadMs, error: r.error ?? '' }))
        .catch((err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }));
    },
  };
  const server = new grpc.Server({ interceptors: [labAuthInterceptor((r) => events.emit(EV.authRefused, `agent/${id}`, r.reason, { surface: 'grpc', method: r.method, peer: r.peer }))] });
  server.addService(replicaAgentPackage().ReplicaAgent.service, handlers);
  const bound = await bindServer(server, host, port);
  return {
    address: `${host}:${bound}`,
    kill: () => server.forceShutdown(),
    close: () =>
      new Promise<void>((resolve) => {
        const timer = clock.setTimer(500, () => {
          server.forceShutdown();
          resolve();
        });
        server.tryShutdown(() => {
          timer.cancel();
          resolve();
        });
      }),
  };
}
