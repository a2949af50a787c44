// Replica hosts in a lab (topology `replicaHost: shared`): one host process per stand-in cluster
// (src/replica/host-main.ts). The state file keeps an entry per hosted replica besides the host's
// own — same name as a replica process (`replica/<id>`), the host's pid and start time, `host` set —
// so status, chaos targets and `halab down` find replicas as before; `halab down` stops the host
// once. A hosted replica is restarted (a crash's heal) by asking its host, never by a signal.
import { request } from 'undici';
import { HalabError } from '../core/errors.js';
import type { Topology } from '../config/topology.js';
import { readLabState, writeLabState, type LabState, type ProcessEntry } from '../process/lab-state.js';
import { recordLaunch } from '../process/owned.js';
import { readyFile, type LabPaths } from '../process/paths.js';
import type { Clock } from '../core/clock.js';
import { existsSync } from 'node:fs';
import type { Component } from '../process/launcher.js';
import { labAuthHeaders } from '../protocol/http-guard.js';

type Launch = (entry: Omit<ProcessEntry, 'pid'> & { readonly kind: Component }) => ProcessEntry;

/** Replica ids each host runs: the stand-in replicas of each cluster (llama.cpp and external replicas keep their own). */
export function hostedClusters(topology: Topology): Map<string, { readonly region: string; readonly host: string; readonly ids: string[] }> {
  const out = new Map<string, { region: string; host: string; ids: string[] }>();
  if (topology.replicaHost !== 'shared') return out;
  for (const r of topology.replicas) {
    if (r.external || r.container || r.runtime !== 'standin') continue;
    const key = `${r.region}/${r.cluster}`;
    const c = out.get(key) ?? { region: r.region, host: r.host, ids: [] };
    c.ids.push(r.id);
    out.set(key, c);
  }
  return out;
}

/** Launches one host per stand-in cluster; returns the host entries. */
export function launchReplicaHosts(topology: Topology, launch: Launch, args: (cluster: string, host: string) => string[]): ProcessEntry[] {
  return [...hostedClusters(topology)].map(([cluster, c]) =>
    launch({ name: `replica-host/${cluster}`, kind: 'replica-host', subject: cluster, args: args(cluster, c.host) }),
  );
}

interface HostedReady {
  readonly id: string;
  readonly vpid: number;
  readonly httpUrl: string;
  readonly agentAddress: string;
}

/** Records a ready host's replicas in the state (and the launch ledger, with the host's pid and start time). */
export function recordHostedReplicas(paths: LabPaths, state: LabState, host: ProcessEntry, ready: Record<string, unknown>): ProcessEntry[] {
  host.url = String(ready.url);
  const replicas = (ready.replicas ?? []) as HostedReady[];
  const entries = replicas.map((r): ProcessEntry => {
    recordLaunch(paths.labDir, `replica/${r.id}`, host.pid);
    return { name: `replica/${r.id}`, kind: 'replica', subject: r.id, pid: host.pid, host: host.name, vpid: r.vpid, url: r.httpUrl, address: r.agentAddress, args: [] };
  });
  state.processes.push(...entries);
  writeLabState(paths, state);
  return entries;
}

/**
 * Restarts a crashed hosted replica through its host (a running one is left as it is); updates its
 * state entry with its new addresses and pid-like id. A crash injected a moment ago may not have
 * taken the replica down yet (the agent ends it just after answering): that is waited for first,
 * up to 2 s, as a restart waits for a killed process to be gone.
 */
export async function restartHosted(paths: LabPaths, entry: ProcessEntry, clock: Clock): Promise<ProcessEntry> {
  await waitHostedDown(paths.labDir, entry.subject!, clock);
  const state = readLabState(paths);
  const host = state?.processes.find((p) => p.name === entry.host);
  if (!host?.url) throw new HalabError('UNKNOWN_TARGET', `${entry.name} is hosted by ${entry.host ?? '?'}, which the lab does not know`);
  const res = await request(`${host.url}/replicas/${entry.subject}/restart`, { method: 'POST', headers: labAuthHeaders(), headersTimeout: 30_000, bodyTimeout: 30_000 }).catch((err: Error) => {
    throw new HalabError('UPSTREAM_FAILED', `${host.name} (pid ${host.pid}) did not answer the restart of ${entry.name}: ${err.message}`, 'if the host died, its own restart brings its replicas back');
  });
  const body = (await res.body.json()) as Partial<HostedReady> & { error?: { message?: string } };
  if (res.statusCode !== 200) throw new HalabError('UPSTREAM_FAILED', `${host.name} refused the restart of ${entry.name}: ${res.statusCode} ${body.error?.message ?? ''}`);
  const fresh = readLabState(paths);
  const current = fresh?.processes.find((p) => p.name === entry.name);
  if (fresh && current) {
    Object.assign(current, { url: body.httpUrl, address: body.agentAddress, vpid: body.vpid, pid: host.pid });
    writeLabState(paths, fresh);
  }
  return { ...entry, ...(body.httpUrl ? { url: body.httpUrl } : {}), ...(body.agentAddress ? { address: body.agentAddress } : {}), ...(body.vpid ? { vpid: body.vpid } : {}) };
}

/** Waits until the host has taken a crashed replica down (its ready file is gone), up to timeoutMs. */
export async function waitHostedDown(labDir: string, replicaId: string, clock: Clock, timeoutMs = 2000): Promise<boolean> {
  const file = readyFile(labDir, `replica/${replicaId}`);
  const deadline = clock.monoMs() + timeoutMs;
  while (existsSync(file)) {
    if (clock.monoMs() > deadline) return false;
    await clock.sleep(10);
  }
  return true;
}
