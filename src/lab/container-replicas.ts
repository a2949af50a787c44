// Replicas of `container: true` clusters: each replica process (a stand-in, or a llama.cpp sidecar
// with its llama-server) runs in its own container, started through testcontainers on the image
// scripts/setup-docker.sh builds (cluster/images/replica). The container shares the host's network
// (it binds the loopback address its region was given) and sees, at their host paths, the project
// (dist and node_modules, read-only), llama.cpp's build and models (read-only) and the lab directory
// (read-write: ready file, logs, events, the lab secret). Called from lab.ts: start, restart (a crash
// heal), and removal of every container of the lab by its label (`halab down`).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { HalabError, errorMessage } from '../core/errors.js';
import { loadTopology, type Topology } from '../config/topology.js';
import { containerState, containersUnavailable, labContainerLabel, removeContainer, removeLabContainers } from '../process/container-runtime.js';
import { containerLimitsOf, launchReplicaContainer } from '../process/container-replica.js';
import { readLabState, writeLabState, type LabState, type ProcessEntry } from '../process/lab-state.js';
import { logTail } from '../process/launcher.js';
import type { LabPaths } from '../process/paths.js';
import { readyFile } from '../process/paths.js';

/** Written before the lab's first container is created: `halab down` then looks for containers by label. */
const MARKER = 'containers';

/** Starts one replica's container and records its launch (pid and start time); the caller records it in the state. */
function launch(topology: Topology, paths: LabPaths, topologyFile: string, name: string, subject: string, args: readonly string[]): Promise<ProcessEntry> {
  return launchReplicaContainer({ labDir: paths.labDir, topology, topologyFile, name, subject, args, limits: containerLimitsOf(topology, subject) });
}

/**
 * Starts the container of every replica of a `container: true` cluster (one at a time: the Docker
 * daemon serialises creation anyway) and records each in the lab's state as it starts.
 * `args` gives a replica's arguments (the same as a host replica's).
 */
export async function startContainerReplicas(topology: Topology, paths: LabPaths, state: LabState, args: (id: string, host: string) => string[]): Promise<ProcessEntry[]> {
  const specs = topology.replicas.filter((r) => r.container && !r.external);
  if (specs.length === 0) return [];
  const why = await containersUnavailable();
  if (why) throw new HalabError('PREREQUISITE_MISSING', `${specs.length} replicas of this topology run in containers (container: true), but ${why}`, 'run scripts/setup-docker.sh (it starts dockerd when none answers and builds the images), or remove `container: true`');
  writeFileSync(join(paths.labDir, MARKER), `containers of this lab carry the label halab.lab (see \`docker ps -a --filter label=halab.lab-dir=${paths.labDir}\`)\n`);
  const entries: ProcessEntry[] = [];
  for (const r of specs) {
    const entry = await launch(topology, paths, state.topologyFile, `replica/${r.id}`, r.id, args(r.id, r.host));
    state.processes.push(entry);
    writeLabState(paths, state);
    entries.push(entry);
  }
  return entries;
}

/** Waits for a container replica's ready file; fails early, with its log's tail, when the container stops. */
export async function waitContainerReady(paths: LabPaths, entry: ProcessEntry, clock: Clock, timeoutMs: number): Promise<Record<string, unknown>> {
  const file = readyFile(paths.labDir, entry.name);
  const deadline = clock.monoMs() + timeoutMs;
  let checked = clock.monoMs();
  while (clock.monoMs() < deadline) {
    if (existsSync(file)) {
      const ready = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
      if (typeof ready.agentAddress === 'string') entry.address = ready.agentAddress;
      if (typeof ready.httpUrl === 'string') entry.url = ready.httpUrl;
      return ready;
    }
    if (clock.monoMs() - checked > 500) {
      checked = clock.monoMs();
      const s = await containerState(entry.container!);
      if (!s?.running) throw new HalabError('LAB_START_FAILED', `${entry.name} (container ${entry.container!.slice(0, 12)}) exited during start-up:\n${logTail(paths.labDir, entry.name)}`);
    }
    await clock.sleep(25);
  }
  throw new HalabError('LAB_START_FAILED', `${entry.name} (container) did not become ready within ${timeoutMs}ms:\n${logTail(paths.labDir, entry.name)}`);
}

/** Waits for every container replica and writes their addresses into the state. */
export async function waitContainerReplicas(paths: LabPaths, state: LabState, entries: readonly ProcessEntry[], clock: Clock, timeoutMs: number): Promise<void> {
  await Promise.all(entries.map((e) => waitContainerReady(paths, e, clock, timeoutMs)));
  writeLabState(paths, state);
}

/**
 * Heals a killed container replica: its container is replaced by a new one (same name and labels)
 * running the arguments the lab's state has for it now — a deployment pins the version it moved
 * the replica to there, so a replica deployed to v2 and then crashed comes back on v2 — and the
 * lab waits until it is ready and records its new container, pid and addresses.
 */
export async function restartContainerProcess(paths: LabPaths, entry: ProcessEntry, clock: Clock): Promise<ProcessEntry> {
  const state = readLabState(paths);
  if (!state) throw new HalabError('LAB_NOT_RUNNING', `no lab state in ${paths.labDir}`);
  await removeContainer(entry.container!);
  const fresh = await launch(loadTopology(state.topologyFile), paths, state.topologyFile, entry.name, entry.subject ?? entry.name.replace(/^replica\//, ''), entry.args);
  await waitContainerReady(paths, fresh, clock, 30_000);
  const now = readLabState(paths);
  if (now) {
    now.processes = now.processes.map((p) => (p.name === entry.name ? { ...p, pid: fresh.pid, container: fresh.container!, ...(fresh.url ? { url: fresh.url } : {}), ...(fresh.address ? { address: fresh.address } : {}) } : p));
    writeLabState(paths, now);
  }
  return { ...entry, pid: fresh.pid, container: fresh.container!, ...(fresh.url ? { url: fresh.url } : {}), ...(fresh.address ? { address: fresh.address } : {}) };
}

/**
 * Removes every container carrying this lab's label, when the lab ever made one (its marker file):
 * found by label, not by the state file, so a container whose start a SIGKILL interrupted goes too.
 * Never throws (the lab's processes are stopped whatever Docker says): returns the names removed,
 * or why they could not be.
 */
export async function removeContainersOf(labDir: string): Promise<{ readonly removed: readonly string[]; readonly error?: string }> {
  if (!existsSync(join(labDir, MARKER))) return { removed: [] };
  try {
    return { removed: await removeLabContainers(labDir) };
  } catch (err) {
    return { removed: [], error: `the lab's containers (label halab.lab=${labContainerLabel(labDir)}) could not be removed: ${errorMessage(err)}` };
  }
}
