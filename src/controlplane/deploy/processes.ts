// Replica processes a deployment starts, restarts and stops (I/O edge): blue-green's green set,
// a replica brought back after its new version crashed on load, retired replicas. The lab's state
// file is kept in step, so `halab status` and `halab down` see exactly the processes that run,
// and a crash heal restarts a replica on the version it was deployed to. In a `container: true`
// cluster each of these is a container (process/container-replica.ts): a green replica gets its own,
// a restart replaces the container by one running the deploy's version, a retired one is removed.
import { join } from 'node:path';
import type { Clock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import { isAlive, spawnComponent } from '../../process/launcher.js';
import { readLabState, writeLabState, type ProcessEntry } from '../../process/lab-state.js';
import { readyFile, type LabPaths } from '../../process/paths.js';
import { existsSync } from 'node:fs';
import { isOwnedAlive } from '../../process/owned.js';
import { terminateOwned } from '../../process/reaper.js';
import { containerState, stopAndRemoveContainer } from '../../process/container-runtime.js';
import { clusterReplica, containerLimitsOf, launchReplicaContainer } from '../../process/container-replica.js';
import { loadTopology, type Topology } from '../../config/topology.js';

export interface ReplicaProcessSpec {
  readonly id: string;
  readonly host: string;
  readonly version: string;
  readonly behaviour: string;
}

export interface DeployProcessesOptions {
  readonly labDir: string;
  readonly topologyFile: string;
  readonly controlPlane: () => string;
  readonly clock: Clock;
}

function pathsOf(labDir: string): LabPaths {
  return {
    home: join(labDir, '..'),
    labDir,
    stateFile: join(labDir, 'state.json'),
    lockFile: join(labDir, '..', 'lab.lock'),
    eventsDir: join(labDir, 'events'),
    logsDir: join(labDir, 'logs'),
    procsDir: join(labDir, 'procs'),
  };
}

/** Still the process the lab started (pid and start time match; not a zombie). */
function running(entry: ProcessEntry): boolean {
  return entry.startTicks !== undefined ? isOwnedAlive(entry) : isAlive(entry.pid);
}

/** The args with --model-version/--model-behaviour replaced. */
export function withVersionArgs(args: readonly string[], version: string, behaviour: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--model-version' || args[i] === '--model-behaviour') {
      i += 1;
      continue;
    }
    out.push(args[i]!);
  }
  return [...out, '--model-version', version, ...(behaviour !== 'ok' ? ['--model-behaviour', behaviour] : [])];
}

export class DeployProcesses {
  private readonly paths: LabPaths;
  private topology: Topology | undefined;

  constructor(private readonly opts: DeployProcessesOptions) {
    this.paths = pathsOf(opts.labDir);
  }

  private update(fn: (processes: ProcessEntry[]) => ProcessEntry[]): void {
    const state = readLabState(this.paths);
    if (!state) return; // not a lab run (tests of the control plane alone)
    state.processes = fn(state.processes);
    writeLabState(this.paths, state);
  }

  private entry(id: string): ProcessEntry | undefined {
    return readLabState(this.paths)?.processes.find((p) => p.name === `replica/${id}`);
  }

  /** The entry of a replica process this may signal: a hosted replica's pid is its host's (replicaHost: shared). */
  private processEntry(id: string): ProcessEntry | undefined {
    const entry = this.entry(id);
    if (entry?.host) throw new HalabError('USAGE', `replica ${id} runs in ${entry.host} (replicaHost: shared); deployments that restart or retire replica processes need replicaHost: process`);
    return entry;
  }

  private topo(): Topology {
    this.topology ??= loadTopology(this.opts.topologyFile);
    return this.topology;
  }

  /** Whether the replica belongs to a `container: true` cluster (a green one: by its cluster). */
  private inContainer(id: string): boolean {
    // a lab without containers never needs its topology read here
    if (!readLabState(this.paths)?.processes.some((p) => p.container)) return false;
    return clusterReplica(this.topo(), id)?.container === true;
  }

  /**
   * Starts a new replica process; returns its pid. In a container cluster it is a container like
   * its cluster's others (same image, labels, host network, limits): then the pid comes later.
   */
  spawn(spec: ReplicaProcessSpec): number | Promise<number> {
    const name = `replica/${spec.id}`;
    const args = withVersionArgs(
      ['--id', spec.id, '--host', spec.host, '--control-plane', this.opts.controlPlane(), '--topology', this.opts.topologyFile, '--lab-dir', this.opts.labDir],
      spec.version,
      spec.behaviour,
    );
    if (this.inContainer(spec.id)) return this.spawnContainer(spec.id, name, args);
    const pid = spawnComponent('replica', name, args, this.opts.labDir);
    this.update((ps) => [...ps.filter((p) => p.name !== name), { name, kind: 'replica', subject: spec.id, pid, args }]);
    return pid;
  }

  private async spawnContainer(id: string, name: string, args: readonly string[]): Promise<number> {
    const entry = await launchReplicaContainer({ labDir: this.opts.labDir, topology: this.topo(), topologyFile: this.opts.topologyFile, name, subject: id, args, limits: containerLimitsOf(this.topo(), id) });
    this.update((ps) => [...ps.filter((p) => p.name !== name), entry]);
    return entry.pid;
  }

  /**
   * Restarts a replica whose process died (or is dying: it is given `graceMs` to be gone, then
   * stopped) on `version`. Returns the new pid.
   */
  async restart(id: string, version: string, behaviour: string, graceMs = 3000): Promise<number> {
    const entry = this.processEntry(id);
    if (!entry) throw new HalabError('UNKNOWN_TARGET', `no process replica/${id} in the lab's state`);
    const deadline = this.opts.clock.monoMs() + graceMs;
    while (running(entry) && this.opts.clock.monoMs() < deadline) await this.opts.clock.sleep(50);
    if (entry.container) return this.restartContainer(entry, withVersionArgs(entry.args, version, behaviour));
    if (running(entry)) await terminateOwned([entry], this.opts.clock, 1000);
    const args = withVersionArgs(entry.args, version, behaviour);
    const pid = spawnComponent('replica', entry.name, args, this.opts.labDir);
    // the start time of the new pid comes from the launch ledger when the state is written
    this.update((ps) => ps.map((p) => (p.name === entry.name ? { ...p, pid, args } : p)));
    return pid;
  }

  /**
   * A container replica (`container: true`) is restarted as a container, never as a host process:
   * its container is replaced by a new one (same name, labels, limits) running `args` (the deploy's
   * version), and the state records them, so a later crash heal also starts that version. A
   * container that is gone (the lab is going down) is not brought back.
   */
  private async restartContainer(entry: ProcessEntry, args: readonly string[]): Promise<number> {
    if (!(await containerState(entry.container!))) throw new HalabError('UNKNOWN_TARGET', `the container of ${entry.name} is gone (the lab is going down?); not restarted`);
    await stopAndRemoveContainer(entry.container!, 1);
    const id = entry.subject ?? entry.name.replace(/^replica\//, '');
    const fresh = await launchReplicaContainer({ labDir: this.opts.labDir, topology: this.topo(), topologyFile: this.opts.topologyFile, name: entry.name, subject: id, args, limits: containerLimitsOf(this.topo(), id) });
    this.update((ps) => ps.map((p) => (p.name === entry.name ? { ...p, pid: fresh.pid, args, container: fresh.container! } : p)));
    return fresh.pid;
  }

  /** Records the version a replica runs, so a restart (crash heal) starts it on that version. */
  pin(id: string, version: string, behaviour: string): void {
    this.update((ps) => ps.map((p) => (p.name === `replica/${id}` ? { ...p, args: withVersionArgs(p.args, version, behaviour) } : p)));
  }

  /** Whether the lab knows this replica's process and it is no longer running. */
  isGone(id: string): boolean {
    const entry = this.entry(id);
    // a hosted replica is gone when its host has taken it down (its ready file goes with it)
    if (entry?.host) return !existsSync(readyFile(this.opts.labDir, entry.name));
    return entry !== undefined && !running(entry);
  }

  /** Stops a replica (SIGTERM, then SIGKILL; a container is stopped so and removed) and removes it from the lab's state. */
  async stop(id: string): Promise<void> {
    const entry = this.processEntry(id);
    if (entry?.container) await stopAndRemoveContainer(entry.container, 2);
    else if (entry) await terminateOwned([entry], this.opts.clock, 2000);
    this.update((ps) => ps.filter((p) => p.name !== `replica/${id}`));
  }
}
