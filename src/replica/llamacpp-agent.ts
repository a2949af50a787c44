// The replica agent (halab.v1.ReplicaAgent, the same gRPC API as a stand-in's) served by the
// sidecar of a llama.cpp replica: health from the engine's own /health, /metrics and /slots;
// faults, drains and model loads applied to the real engine through LlamacppSidecar.
import { bindServer, grpc, replicaAgentPackage } from '../protocol/grpc.js';
import { isHalabError } from '../core/errors.js';
import type { ReplicaAgentHandlers } from '../gen/halab/v1/ReplicaAgent.js';
import type { ReplicaHealth } from '../gen/halab/v1/ReplicaHealth.js';
import type { FaultSpec } from '../gen/halab/v1/FaultSpec.js';
import type { AgentServer } from './agent.js';
import type { LlamacppSidecar } from './llamacpp-sidecar.js';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../record/events.js';

function faultSpecs(sidecar: LlamacppSidecar): FaultSpec[] {
  return sidecar.activeFaults().map((f) => ({ kind: f.kind, faultId: f.id, factor: f.factor, probability: f.probability, afterTokens: f.afterTokens }));
}

export function sidecarHealth(id: string, sidecar: LlamacppSidecar): ReplicaHealth {
  const s = sidecar.status;
  return {
    replicaId: id,
    // a CPU engine has no GPU to report on; the GPU signal is not what fails it
    gpu: { state: 'ok', detail: 'llama.cpp on the CPU (no GPU)' },
    modelLoaded: sidecar.loaded,
    modelVersion: sidecar.version,
    draining: sidecar.draining,
    running: s.running,
    waiting: s.waiting,
    kvCacheUsage: s.slots > 0 ? s.busySlots / s.slots : 0,
    requestsTotal: sidecar.proxy.connectionsTotal,
    errorsTotal: 0,
    faults: faultSpecs(sidecar),
  };
}

export async function startSidecarAgent(id: string, sidecar: LlamacppSidecar, host: string, clock: Clock, events: EventSink): Promise<AgentServer> {
  const handlers: ReplicaAgentHandlers = {
    Health(_call, cb) {
      cb(null, sidecarHealth(id, sidecar));
    },
    InjectFault(call, cb) {
      const spec = call.request;
      try {
        const fault = sidecar.inject(spec.kind, spec.faultId, { factor: spec.factor, probability: spec.probability, afterTokens: spec.afterTokens });
        events.emit('fault.applied', id, undefined, { ...fault });
        cb(null, { active: faultSpecs(sidecar) });
      } catch (err) {
        cb({ code: isHalabError(err) ? grpc.status.INVALID_ARGUMENT : grpc.status.INTERNAL, details: (err as Error).message });
      }
    },
    ClearFault(call, cb) {
      if (sidecar.clear(call.request.faultId)) events.emit('fault.cleared', id, undefined, { faultId: call.request.faultId || '*' });
      cb(null, { active: faultSpecs(sidecar) });
    },
    Drain(call, cb) {
      sidecar
        .drain(call.request.timeoutMs > 0 ? call.request.timeoutMs : 60_000)
        .then((r) => cb(null, r))
        .catch((err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }));
    },
    Undrain(_call, cb) {
      sidecar.undrain();
      events.emit('drain.cancelled', id);
      cb(null, { inFlight: sidecar.status.running, drained: false, waitedMs: 0 });
    },
    LoadModel(call, cb) {
      if (!call.request.modelVersion) {
        cb({ code: grpc.status.INVALID_ARGUMENT, details: 'model_version is required' });
        return;
      }
      sidecar
        .loadModel(call.request.modelVersion, call.request.behaviour || 'ok')
        .then((r) => cb(null, { loaded: r.loaded, modelVersion: sidecar.version, loadMs: r.loadMs, error: r.error ?? '' }))
        .catch((err: Error) => cb({ code: grpc.status.INTERNAL, details: err.message }));
    },
  };
  const server = new grpc.Server();
  server.addService(replicaAgentPackage().ReplicaAgent.service, handlers);
  const bound = await bindServer(server, host, 0);
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
