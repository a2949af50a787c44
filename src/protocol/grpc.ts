// Loads the halab.v1 protos once and hands out typed service definitions and client constructors.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { existsSync } from 'node:fs';
import type { ProtoGrpcType as ControlPlaneProto } from '../gen/control_plane.js';
import type { ProtoGrpcType as ReplicaAgentProto } from '../gen/replica_agent.js';

function protoRoot(): string {
  // Works from src/protocol (tests) and dist/src/protocol (built).
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 5; i++) {
    if (existsSync(join(dir, 'proto', 'halab', 'v1'))) return join(dir, 'proto');
    dir = dirname(dir);
  }
  throw new Error('cannot find proto/ directory');
}

const LOADER_OPTIONS: protoLoader.Options = { keepCase: false, longs: Number, enums: String, defaults: true, oneofs: true };

function load<T>(file: string): T {
  const root = protoRoot();
  const definition = protoLoader.loadSync(join(root, file), { ...LOADER_OPTIONS, includeDirs: [root] });
  return grpc.loadPackageDefinition(definition) as unknown as T;
}

let controlPlaneProto: ControlPlaneProto | undefined;
let replicaAgentProto: ReplicaAgentProto | undefined;

export function controlPlanePackage(): ControlPlaneProto['halab']['v1'] {
  controlPlaneProto ??= load<ControlPlaneProto>('halab/v1/control_plane.proto');
  return controlPlaneProto.halab.v1;
}

export function replicaAgentPackage(): ReplicaAgentProto['halab']['v1'] {
  replicaAgentProto ??= load<ReplicaAgentProto>('halab/v1/replica_agent.proto');
  return replicaAgentProto.halab.v1;
}

/** Binds a gRPC server on host:port (0 = ephemeral) and resolves with the bound port. */
export function bindServer(server: grpc.Server, host: string, port = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    server.bindAsync(`${host}:${port}`, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound)));
  });
}

export { grpc };
