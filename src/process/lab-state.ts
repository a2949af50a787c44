// The running lab's state file: which processes belong to it and where they listen. Written as
// processes start (so a half-started lab can still be torn down) and removed by `halab down`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HalabError } from '../core/errors.js';
import { launchOf } from './owned.js';
import type { LabPaths } from './paths.js';

export interface LinkProxy {
  readonly name: string;
  /** Home region of the clients it carries, or "glb" for the balancer's own path. */
  readonly from: string;
  readonly to: string;
  readonly listen: string;
  readonly upstream: string;
  readonly latencyMs: number;
}

export interface LinksState {
  readonly api: string;
  readonly proxies: readonly LinkProxy[];
}

export interface ProcessEntry {
  readonly name: string;
  readonly kind: 'controlplane' | 'replica' | 'gateway' | 'glb' | 'toxiproxy' | 'standin' | 'etcd' | 'replica-host';
  /**
   * A hosted replica (`replicaHost: shared`): the name of the replica host process that runs it.
   * Its pid is the host's; the replica itself is crashed through its agent and restarted through
   * the host (src/lab/replica-hosts.ts), never signalled.
   */
  readonly host?: string;
  /** A hosted replica's pid-like id (its current incarnation's). */
  vpid?: number;
  pid: number;
  /**
   * The process's start time (ticks since boot, /proc/<pid>/stat field 22), filled in from the
   * launch ledger on every write: with pid, what makes a process this lab's (src/process/owned.ts).
   */
  startTicks?: number;
  /** Wall-clock start of the current process, epoch ms. */
  startedAtMs?: number;
  /** Replica id or region, for replicas and gateways. */
  readonly subject?: string;
  url?: string;
  address?: string;
  /** Arguments it was started with, to restart it (crash heal). */
  readonly args: readonly string[];
  /** Docker container id, when the process runs in a container (`container: true` clusters); pid is its host pid. */
  readonly container?: string;
}

export interface LabState {
  readonly labDir: string;
  /** The topology every process reads (with launched stand-ins' URLs filled in, when there are any). */
  topologyFile: string;
  readonly startedAtMs: number;
  readonly ownerPid: number;
  /** Control-plane address, or comma-separated addresses when several instances run (HA). */
  controlPlane?: string;
  /** etcd client URL, when the control plane keeps its state in etcd. */
  etcd?: string;
  entrypoint?: string;
  processes: ProcessEntry[];
  /** The global load balancer's URL (the entrypoint). */
  glb?: string;
  /** The inter-region link proxies, when Toxiproxy runs (absent: direct connections). */
  links?: LinksState;
  /** Why the lab runs without link proxies. */
  linksNote?: string;
}

/** Why a state file cannot be used, with the way out. */
function corruptError(paths: LabPaths, why: string): HalabError {
  return new HalabError(
    'STATE_CORRUPT',
    `the lab state file ${paths.stateFile} is corrupt (${why})`,
    '`halab down` stops the processes this lab started (found in its launch records, checked by pid and start time) and removes the lab directory; then `halab up` starts afresh',
  );
}

function checkShape(paths: LabPaths, data: unknown): LabState {
  const state = data as Partial<LabState> | null;
  if (!state || typeof state !== 'object' || Array.isArray(state)) throw corruptError(paths, 'not a JSON object');
  if (!Array.isArray(state.processes)) throw corruptError(paths, 'no "processes" list');
  state.processes.forEach((p: Partial<ProcessEntry> | null, i) => {
    if (!p || typeof p.name !== 'string' || !Number.isInteger(p.pid) || !Array.isArray(p.args)) throw corruptError(paths, `processes[${i}] lacks a name, pid or args`);
  });
  if (typeof state.topologyFile !== 'string') throw corruptError(paths, 'no "topologyFile"');
  return state as LabState;
}

/** The lab's state, undefined when no lab was started, or STATE_CORRUPT (exit 2) naming the way out. */
export function readLabState(paths: LabPaths): LabState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  let data: unknown;
  try {
    data = JSON.parse(readFileSync(paths.stateFile, 'utf8'));
  } catch (err) {
    throw corruptError(paths, (err as Error).message);
  }
  return checkShape(paths, data);
}

/** The state when it can be read, or why it cannot (for the commands that recover from that). */
export function inspectLabState(paths: LabPaths): { readonly state?: LabState; readonly corrupt?: HalabError } {
  try {
    const state = readLabState(paths);
    return state ? { state } : {};
  } catch (err) {
    if (err instanceof HalabError && err.code === 'STATE_CORRUPT') return { corrupt: err };
    throw err;
  }
}

/** Each entry's start time from the launch ledger, so the state names each process by pid and start time. */
function withStartTimes(labDir: string, processes: ProcessEntry[]): void {
  for (const p of processes) {
    const launch = launchOf(labDir, p.name, p.pid);
    if (!launch) continue;
    if (launch.startTicks !== undefined) p.startTicks = launch.startTicks;
    if (launch.startedAtMs !== undefined) p.startedAtMs = launch.startedAtMs;
  }
}

export function writeLabState(paths: LabPaths, state: LabState): void {
  mkdirSync(dirname(paths.stateFile), { recursive: true });
  withStartTimes(paths.labDir, state.processes);
  // one temp file per writer: the control plane (deploys) and the runner (heals) may write at once
  const tmp = `${paths.stateFile}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(state, null, 2));
  renameSync(tmp, paths.stateFile);
}

/** The running lab's state, or LAB_NOT_RUNNING. */
export function requireLabState(paths: LabPaths): LabState {
  const state = readLabState(paths);
  if (!state?.controlPlane) throw new HalabError('LAB_NOT_RUNNING', `no lab is running (no ${paths.stateFile})`, 'start one with `halab up`');
  return state;
}
