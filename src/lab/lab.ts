// Brings a topology up as processes (control plane, one gateway per region, one replica per GPU)
// on loopback, waits until every replica is healthy, and tears it all down again.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { Topology } from '../core/topology.js';
import { getStatus, waitForStatus } from './cp-client.js';
import { isAlive, spawnComponent, waitReady } from './launcher.js';
import { readLabState, writeLabState, type LabState, type ProcessEntry } from './lab-state.js';
import type { LabPaths } from './paths.js';
import { findLabProcesses, terminate } from './reaper.js';

export interface StartOptions {
  /** Bound on start-up, model loading included. */
  readonly timeoutMs?: number;
  readonly seed?: number;
}

function readyTimeoutMs(topology: Topology, opts: StartOptions): number {
  return opts.timeoutMs ?? 20_000 + (topology.modelLoadMs ?? 25_000) * topology.timeScale * 2;
}

/** Refuses to start over a live lab; removes the remains of a dead one. */
async function claimLab(paths: LabPaths, clock: Clock): Promise<void> {
  const existing = readLabState(paths);
  if (existing && existing.processes.some((p) => isAlive(p.pid))) {
    throw new HalabError(
      'LAB_ALREADY_RUNNING',
      `a lab is already running (started ${new Date(existing.startedAtMs).toISOString()}, control plane ${existing.controlPlane ?? 'starting'})`,
      'use it, or stop it first with `halab down`',
    );
  }
  if (existsSync(paths.labDir)) await stopLab(paths, clock);
}

export async function startLab(topology: Topology, paths: LabPaths, clock: Clock, opts: StartOptions = {}): Promise<LabState> {
  await claimLab(paths, clock);
  mkdirSync(paths.labDir, { recursive: true });
  const topologyFile = resolve(topology.file);
  const state: LabState = { labDir: paths.labDir, topologyFile, startedAtMs: clock.nowMs(), ownerPid: process.pid, processes: [] };
  const timeoutMs = readyTimeoutMs(topology, opts);
  const common = ['--topology', topologyFile, '--lab-dir', paths.labDir];
  const launch = (entry: Omit<ProcessEntry, 'pid'>): ProcessEntry => {
    const pid = spawnComponent(entry.kind, entry.name, entry.args, paths.labDir);
    const started = { ...entry, pid };
    state.processes.push(started);
    writeLabState(paths, state);
    return started;
  };
  try {
    const cp = launch({ name: 'controlplane', kind: 'controlplane', args: [...common, '--host', topology.controlPlane.host] });
    const cpReady = await waitReady(paths.labDir, cp.name, cp.pid, clock, 15_000);
    state.controlPlane = cp.address = String(cpReady.ready.address);
    cp.url = String(cpReady.ready.url);
    const replicas = topology.replicas.map((r) =>
      launch({
        name: `replica/${r.id}`,
        kind: 'replica',
        subject: r.id,
        args: ['--id', r.id, '--host', r.host, '--control-plane', state.controlPlane!, ...common, ...(opts.seed !== undefined ? ['--seed', String(opts.seed)] : [])],
      }),
    );
    const gateways = topology.regions.map((region) =>
      launch({
        name: `gateway/${region.name}`,
        kind: 'gateway',
        subject: region.name,
        args: ['--region', region.name, '--host', region.host, '--control-plane', state.controlPlane!, ...common],
      }),
    );
    const ready = await Promise.all([...replicas, ...gateways].map((p) => waitReady(paths.labDir, p.name, p.pid, clock, timeoutMs)));
    ready.forEach((r, i) => {
      const entry = [...replicas, ...gateways][i]!;
      if (typeof r.ready.url === 'string') entry.url = r.ready.url;
      if (typeof r.ready.httpUrl === 'string') entry.url = r.ready.httpUrl;
      if (typeof r.ready.agentAddress === 'string') entry.address = r.ready.agentAddress;
    });
    state.entrypoint = gateways[0]!.url;
    writeLabState(paths, state);
    await waitForStatus(
      state.controlPlane,
      clock,
      timeoutMs,
      (s) => s.replicas.every((r) => r.healthy),
      (s) => `${s.replicas.filter((r) => r.healthy).length}/${s.replicas.length} replicas healthy; not yet: ${s.replicas.filter((r) => !r.healthy).map((r) => `${r.replicaId} (${r.reason || 'starting'})`).join(', ')}`,
    );
    return state;
  } catch (err) {
    await stopLab(paths, clock);
    throw err;
  }
}

/**
 * Restarts a stopped lab process with its original arguments (heals a crash). A gateway gets its
 * old port back so clients keep their URL; a replica re-registers with its new address.
 */
export async function restartProcess(paths: LabPaths, processName: string, clock: Clock): Promise<ProcessEntry> {
  const state = readLabState(paths);
  const entry = state?.processes.find((p) => p.name === processName);
  if (!state || !entry) throw new HalabError('UNKNOWN_TARGET', `no process ${processName} in the running lab`);
  if (isAlive(entry.pid)) return entry;
  const port = entry.kind === 'gateway' && entry.url ? ['--port', new URL(entry.url).port] : [];
  entry.pid = spawnComponent(entry.kind, entry.name, [...entry.args, ...port], paths.labDir);
  writeLabState(paths, state);
  const ready = await waitReady(paths.labDir, entry.name, entry.pid, clock, 30_000);
  if (typeof ready.ready.httpUrl === 'string') entry.url = ready.ready.httpUrl;
  if (typeof ready.ready.url === 'string') entry.url = ready.ready.url;
  if (typeof ready.ready.agentAddress === 'string') entry.address = ready.ready.agentAddress;
  // others (a deployment in the control plane) may have changed the state meanwhile: re-read it
  const fresh = readLabState(paths) ?? state;
  const current = fresh.processes.find((p) => p.name === processName);
  if (current) Object.assign(current, { pid: entry.pid, url: entry.url, address: entry.address });
  writeLabState(paths, fresh);
  return current ?? entry;
}

/**
 * Stops every process of the lab (from its state file, and any other process naming the lab
 * directory), then removes the lab directory. Safe to run when nothing is running.
 */
export async function stopLab(paths: LabPaths, clock: Clock): Promise<{ stopped: number }> {
  const state = readLabState(paths);
  const pids = new Set<number>([...(state?.processes.map((p) => p.pid) ?? []), ...findLabProcesses(paths.labDir)]);
  pids.delete(process.pid);
  await terminate([...pids], clock);
  const leftovers = findLabProcesses(paths.labDir);
  if (leftovers.length > 0) await terminate(leftovers, clock, 0);
  rmSync(paths.labDir, { recursive: true, force: true });
  return { stopped: pids.size };
}

/** Status of the running lab's control plane, or undefined when it does not answer. */
export async function labStatus(state: LabState, clock: Clock) {
  return state.controlPlane ? getStatus(state.controlPlane, clock).catch(() => undefined) : undefined;
}
