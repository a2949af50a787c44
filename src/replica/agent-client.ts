// Promise-based calls to a replica's gRPC agent (fault injection, drain, model loading).
import { grpc, replicaAgentPackage } from '../protocol/grpc.js';
import { labClientOptions } from '../protocol/grpc-auth.js';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { FaultSpec } from '../gen/halab/v1/FaultSpec.js';
import type { FaultAck__Output } from '../gen/halab/v1/FaultAck.js';
import type { ReplicaAgentClient } from '../gen/halab/v1/ReplicaAgent.js';
import type { DrainReply__Output } from '../gen/halab/v1/DrainReply.js';
import type { LoadModelReply__Output } from '../gen/halab/v1/LoadModelReply.js';

function call<Req, Res>(
  address: string,
  clock: Clock,
  timeoutMs: number,
  invoke: (client: ReplicaAgentClient, req: Req, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Res) => void) => void,
  req: Req,
  what: string,
): Promise<Res> {
  const { ReplicaAgent } = replicaAgentPackage();
  const client = new ReplicaAgent(address, grpc.credentials.createInsecure(), labClientOptions());
  return new Promise<Res>((resolve, reject) => {
    invoke(client, req, { deadline: new Date(clock.nowMs() + timeoutMs) }, (err, res) => {
      client.close();
      if (err || res === undefined) reject(new HalabError('UPSTREAM_FAILED', `${what} at ${address} failed: ${err?.details || err?.message || 'empty reply'}`));
      else resolve(res);
    });
  });
}

export function agentInjectFault(address: string, spec: FaultSpec, clock: Clock): Promise<FaultAck__Output> {
  return call(address, clock, 3000, (c, r: FaultSpec, o, cb) => c.InjectFault(r, o, cb), spec, `inject ${spec.kind}`);
}

export function agentClearFault(address: string, faultId: string, clock: Clock): Promise<FaultAck__Output> {
  return call(address, clock, 3000, (c, r: { faultId: string }, o, cb) => c.ClearFault(r, o, cb), { faultId }, `clear fault ${faultId}`);
}

export function agentDrain(address: string, timeoutMs: number, clock: Clock): Promise<DrainReply__Output> {
  return call(address, clock, timeoutMs + 5000, (c, r: { timeoutMs: number }, o, cb) => c.Drain(r, o, cb), { timeoutMs: Math.max(1, Math.round(timeoutMs)) }, 'drain');
}

export function agentUndrain(address: string, clock: Clock): Promise<DrainReply__Output> {
  return call(address, clock, 3000, (c, r: object, o, cb) => c.Undrain(r, o, cb), {}, 'undrain');
}

/** LoadModel waits for the profile's load time; `timeoutMs` bounds it. */
export function agentLoadModel(address: string, modelVersion: string, behaviour: string, clock: Clock, timeoutMs: number): Promise<LoadModelReply__Output> {
  return call(address, clock, timeoutMs, (c, r: { modelVersion: string; behaviour: string }, o, cb) => c.LoadModel(r, o, cb), { modelVersion, behaviour }, `load model ${modelVersion}`);
}
