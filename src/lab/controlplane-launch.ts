// Starts a lab's control plane: etcd first when the topology keeps state there, then
// `controlPlane.instances` control-plane processes (one leads, the others follow). Returns the
// comma-separated address list replicas and gateways are given.
import type { Clock } from '../core/clock.js';
import type { Topology } from '../config/topology.js';
import { etcdArgs, spawnEtcd, waitEtcdHealthy } from './etcd.js';
import { waitReady, type Component } from '../process/launcher.js';
import type { LabState, ProcessEntry } from '../process/lab-state.js';
import type { LabPaths } from '../process/paths.js';

export type Launch = (entry: Omit<ProcessEntry, 'pid'> & { readonly kind: Component }) => ProcessEntry;

export function controlPlaneName(topology: Topology, i: number): string {
  return topology.controlPlane.instances > 1 ? `controlplane/${i}` : 'controlplane';
}

export async function launchControlPlanes(topology: Topology, paths: LabPaths, state: LabState, launch: Launch, record: (e: ProcessEntry) => void, common: readonly string[], clock: Clock): Promise<string> {
  const extra: string[] = [];
  if (topology.controlPlane.store === 'etcd') {
    const { args, clientUrl } = await etcdArgs(paths.labDir);
    const entry: ProcessEntry = { name: 'etcd', kind: 'etcd', pid: spawnEtcd(paths.labDir, 'etcd', args), args, address: clientUrl };
    record(entry);
    await waitEtcdHealthy(paths.labDir, 'etcd', entry.pid, clientUrl, clock);
    state.etcd = clientUrl;
    extra.push('--etcd', clientUrl);
  }
  const n = topology.controlPlane.instances;
  const entries = Array.from({ length: n }, (_, i) => {
    const region = topology.controlPlane.placement === 'regions' ? topology.regions[i % topology.regions.length]! : undefined;
    return launch({
      name: controlPlaneName(topology, i),
      kind: 'controlplane',
      ...(region ? { subject: region.name } : {}),
      args: [...common, '--host', region?.host ?? topology.controlPlane.host, ...extra, ...(n > 1 ? ['--instance', String(i)] : [])],
    });
  });
  const ready = await Promise.all(entries.map((e) => waitReady(paths.labDir, e.name, e.pid, clock, 15_000)));
  ready.forEach((r, i) => {
    entries[i]!.address = String(r.ready.address);
    entries[i]!.url = String(r.ready.url);
  });
  return entries.map((e) => e.address!).join(',');
}
