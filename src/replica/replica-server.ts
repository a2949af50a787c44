// Starts one stand-in replica in this process: the engine and model, the OpenAI HTTP API, the gRPC
// agent, and (when a control plane is given) registration. main.ts and tests both use it.
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../record/events.js';
import type { Logger } from '../core/log.js';
import { createRng } from '../core/rng.js';
import { startAgent } from './agent.js';
import { startHttpApi } from './http-api.js';
import { createReplicaMetrics } from './metrics.js';
import type { EngineProfile } from './profiles.js';
import { MODEL_BEHAVIOURS, type ModelBehaviour } from '../config/model-behaviours.js';
import { ReplicaCore } from './replica-core.js';
import { Registration } from './registration.js';
import type { LabAuth } from '../protocol/lab-auth.js';

export interface ReplicaOptions {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly host: string;
  readonly modelName: string;
  readonly modelVersion: string;
  /** How that version behaves (a bad version for deploy tests); default ok. */
  readonly modelBehaviour?: string;
  readonly profile: EngineProfile;
  readonly seed: number;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly log: Logger;
  /** Control-plane address; none: run standalone (a plain OpenAI server with an agent). */
  readonly controlPlane?: string;
  readonly exit: (code: number) => void;
  /** Pid reported at registration (default: this process's); a hosted replica's pid-like id. */
  readonly pid?: number;
  /** Credentials its registration speaks with (default: this process's). */
  readonly auth?: LabAuth;
}

export interface RunningReplica {
  readonly httpUrl: string;
  readonly agentAddress: string;
  readonly core: ReplicaCore;
  /** Resolves when the model has loaded. */
  readonly ready: Promise<unknown>;
  close(): Promise<void>;
  /**
   * Ends this replica as a kill would, leaving the process (a replica host) running: its listeners
   * close, every open connection (HTTP streams, agent calls, the heartbeat stream) is cut without a
   * goodbye, and its engine stops.
   */
  crash(): void;
}

export async function startReplica(opts: ReplicaOptions): Promise<RunningReplica> {
  const core = new ReplicaCore({
    id: opts.id,
    modelName: opts.modelName,
    modelVersion: opts.modelVersion,
    profile: opts.profile,
    clock: opts.clock,
    rng: createRng(opts.seed).fork(`replica/${opts.id}`),
    events: opts.events,
    exit: opts.exit,
  });
  const http = await startHttpApi(core, createReplicaMetrics(core), opts.host);
  const agent = await startAgent(core, opts.host);
  const behaviour = (opts.modelBehaviour ?? 'ok') as ModelBehaviour;
  if (!MODEL_BEHAVIOURS.includes(behaviour)) throw new Error(`unknown model behaviour "${behaviour}"; known: ${MODEL_BEHAVIOURS.join(', ')}`);
  const ready = core.loadModel(opts.modelVersion, behaviour);
  const registration = opts.controlPlane
    ? new Registration(
        opts.controlPlane,
        { replicaId: opts.id, region: opts.region, cluster: opts.cluster, httpUrl: http.url, agentAddress: agent.address, ...(opts.pid !== undefined ? { pid: opts.pid } : {}), ...(opts.auth ? { auth: opts.auth } : {}) },
        core,
        opts.clock,
        opts.log,
      )
    : undefined;
  registration?.start();
  return {
    httpUrl: http.url,
    agentAddress: agent.address,
    core,
    ready,
    async close() {
      registration?.close();
      await Promise.all([http.close(), agent.close()]);
    },
    crash() {
      registration?.abort();
      agent.kill();
      http.server.close();
      http.server.closeAllConnections();
      core.engine.failAll(new Error(`replica ${opts.id} crashed`));
    },
  };
}
