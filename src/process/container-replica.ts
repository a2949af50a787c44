// Starting one replica's container (I/O edge), shared by the lab (start-up, crash heal) and the
// control plane's deployments (blue-green's green set, a replica restarted on the version a deploy
// sets, a retired replica's removal): the replica image, host networking, the lab's labels, the
// project and llama.cpp's files read-only and the lab directory read-write at their host paths,
// the cluster's containerLimits. The caller records the returned entry in the lab's state.
import { existsSync, realpathSync, rmSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import type { ContainerLimits, ReplicaSpec, Topology } from '../config/topology.js';
import { halabCacheDir } from '../config/topology-llamacpp.js';
import { projectRoot, replicaImageTag, startContainer } from './container-runtime.js';
import type { ProcessEntry } from './lab-state.js';
import { componentEntry } from './launcher.js';
import { recordLaunch } from './owned.js';
import { readyFile } from './paths.js';

function hostPath(p: string): string {
  return existsSync(p) ? realpathSync(p) : p;
}

/** Host paths a replica container needs, read-only: the project, the topology's folder, llama.cpp's files. */
export function replicaReadOnlyMounts(topology: Topology, topologyFile: string): string[] {
  const paths = [projectRoot(), dirname(hostPath(topologyFile))];
  const e = topology.llamacppEngine;
  if (e) {
    paths.push(dirname(hostPath(e.serverPath)), ...Object.values(e.models).map((m) => dirname(hostPath(m))), dirname(hostPath(e.corruptModel)));
  }
  return paths.filter(existsSync);
}

/**
 * The limits of a replica's container: its cluster's `containerLimits`. A replica a deployment adds
 * (blue-green's <region>/<cluster>/<n>) is not in the topology; its cluster is in its id.
 */
export function containerLimitsOf(topology: Topology, replicaId: string): ContainerLimits | undefined {
  return clusterReplica(topology, replicaId)?.containerLimits;
}

/** The replica's spec, or (a replica a deployment adds) that of a replica of its cluster. */
export function clusterReplica(topology: Topology, replicaId: string): ReplicaSpec | undefined {
  const cluster = replicaId.slice(0, replicaId.lastIndexOf('/'));
  return topology.replicas.find((r) => r.id === replicaId) ?? topology.replicas.find((r) => `${r.region}/${r.cluster}` === cluster);
}

export interface ReplicaContainerLaunch {
  readonly labDir: string;
  readonly topology: Topology;
  readonly topologyFile: string;
  /** The lab process name (replica/<id>) and the replica id. */
  readonly name: string;
  readonly subject: string;
  readonly args: readonly string[];
  readonly limits?: ContainerLimits | undefined;
}

/** Starts one replica's container (its old ready file removed first) and records its launch; returns its state entry. */
export async function launchReplicaContainer(l: ReplicaContainerLaunch): Promise<ProcessEntry> {
  rmSync(readyFile(l.labDir, l.name), { force: true });
  const started = await startContainer({
    labDir: l.labDir,
    processName: l.name,
    image: replicaImageTag(),
    command: ['/usr/local/bin/node', componentEntry('replica'), ...l.args],
    readOnly: replicaReadOnlyMounts(l.topology, l.topologyFile),
    readWrite: [l.labDir],
    env: {
      HALAB_COMPONENT: l.name,
      HOME: homedir(),
      HALAB_CACHE: halabCacheDir(),
      ...(process.env.HALAB_LLAMA_SERVER ? { HALAB_LLAMA_SERVER: process.env.HALAB_LLAMA_SERVER } : {}),
    },
    ...(l.limits ? { limits: l.limits } : {}),
  });
  if (started.pid) recordLaunch(l.labDir, l.name, started.pid);
  return { name: l.name, kind: 'replica', subject: l.subject, pid: started.pid, args: l.args, container: started.id };
}
