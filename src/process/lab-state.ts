// The running lab's state file: which processes belong to it and where they listen. Written as
// processes start (so a half-started lab can still be torn down) and removed by `halab down`.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { HalabError } from '../core/errors.js';
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
  readonly kind: 'controlplane' | 'replica' | 'gateway' | 'glb' | 'toxiproxy' | 'standin' | 'etcd';
  pid: number;
  /** Replica id or region, for replicas and gateways. */
  readonly subject?: string;
  url?: string;
  address?: string;
  /** Arguments it was started with, to restart it (crash heal). */
  readonly args: readonly string[];
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

export function readLabState(paths: LabPaths): LabState | undefined {
  if (!existsSync(paths.stateFile)) return undefined;
  try {
    return JSON.parse(readFileSync(paths.stateFile, 'utf8')) as LabState;
  } catch (err) {
    throw new HalabError('INTERNAL', `lab state ${paths.stateFile} is unreadable: ${(err as Error).message}`, 'run `halab down` to clean up');
  }
}

export function writeLabState(paths: LabPaths, state: LabState): void {
  mkdirSync(dirname(paths.stateFile), { recursive: true });
  writeFileSync(`${paths.stateFile}.tmp`, JSON.stringify(state, null, 2));
  renameSync(`${paths.stateFile}.tmp`, paths.stateFile);
}

/** The running lab's state, or LAB_NOT_RUNNING. */
export function requireLabState(paths: LabPaths): LabState {
  const state = readLabState(paths);
  if (!state?.controlPlane) throw new HalabError('LAB_NOT_RUNNING', `no lab is running (no ${paths.stateFile})`, 'start one with `halab up`');
  return state;
}
