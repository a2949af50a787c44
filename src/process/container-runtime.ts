// Lab containers through testcontainers (I/O edge): starts a replica's container (host networking,
// the lab's label, read-only bind mounts), and acts on containers by id — kill, pause/unpause (a real
// freeze), restart — and removes every container of a lab by its label (`halab down`, also after a
// SIGKILLed run). Ryuk (testcontainers' reaper) needs a pulled image, so it is off: cleanup is the
// lab's, by label. testcontainers is loaded on first use only, so processes without containers
// never pay for it.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HalabError, errorMessage } from '../core/errors.js';
import { projectRoot } from './launcher.js';

/** The label every container of a lab carries; its value is labContainerLabel(labDir). */
export const LAB_LABEL = 'halab.lab';
/** The lab process a container runs (e.g. replica/us-east-1/primary/0). */
export const NAME_LABEL = 'halab.name';
export const BASE_IMAGE = 'halab-debian-base:bookworm';

/** The value of the lab label: a hash of the lab directory's absolute path. */
export function labContainerLabel(labDir: string): string {
  return createHash('sha256').update(resolve(labDir)).digest('hex').slice(0, 16);
}

/** A container name for a lab process: unique per lab and process, a valid Docker name. */
export function containerName(labDir: string, processName: string): string {
  return `halab-${labContainerLabel(labDir).slice(0, 8)}-${processName.replace(/[^a-zA-Z0-9_.-]+/g, '-')}`;
}

export { projectRoot };

/**
 * The replica image's tag: the Node version and the Dockerfile's hash (scripts/setup-docker.sh
 * builds it under the same tag), so a new Node or Dockerfile means a new image. HALAB_REPLICA_IMAGE
 * names another image instead.
 */
export function replicaImageTag(root = projectRoot(), nodeVersion = process.version, env: NodeJS.ProcessEnv = process.env): string {
  // an image of the user's own (it must have node on its PATH at /usr/local/bin/node)
  if (env.HALAB_REPLICA_IMAGE) return env.HALAB_REPLICA_IMAGE;
  const dockerfile = join(root, 'cluster', 'images', 'replica', 'Dockerfile');
  const hash = createHash('sha256').update(readFileSync(dockerfile)).digest('hex').slice(0, 12);
  return `halab-replica:node${nodeVersion.replace(/^v/, '')}-${hash}`;
}

type Testcontainers = typeof import('testcontainers');
type RuntimeClient = Awaited<ReturnType<Testcontainers['getContainerRuntimeClient']>>;

let loaded: Promise<Testcontainers> | undefined;
let client: Promise<RuntimeClient> | undefined;

function testcontainers(): Promise<Testcontainers> {
  // no Ryuk: it is an image to pull, and nothing can be pulled here; the lab removes its containers by label
  process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  // containers share the host's network: the Docker host is loopback (inside a container itself,
  // testcontainers would otherwise look for the gateway of the bridge network, which is not made)
  process.env.TESTCONTAINERS_HOST_OVERRIDE ??= '127.0.0.1';
  loaded ??= import('testcontainers');
  return loaded;
}

/** The Docker client, or PREREQUISITE_MISSING naming how to get one. */
export async function dockerClient(): Promise<RuntimeClient> {
  client ??= testcontainers()
    .then((tc) => tc.getContainerRuntimeClient())
    .catch((err: unknown) => {
      client = undefined;
      throw new HalabError('PREREQUISITE_MISSING', `no Docker daemon answers (${errorMessage(err).split('\n')[0]})`, 'run scripts/setup-docker.sh (it starts dockerd and builds the images), or set DOCKER_HOST');
    });
  return client;
}

/** Why containers cannot run here (no daemon, or the image is not built), or undefined when they can. */
export async function containersUnavailable(image = replicaImageTag()): Promise<string | undefined> {
  try {
    const c = await dockerClient();
    return (await c.image.exists(parseImage(await testcontainers(), image))) ? undefined : `the image ${image} is not built (run scripts/setup-docker.sh)`;
  } catch (err) {
    return errorMessage(err);
  }
}

function parseImage(tc: Testcontainers, image: string): InstanceType<Testcontainers['ImageName']> {
  return tc.ImageName.fromString(image);
}

export interface ContainerSpec {
  readonly labDir: string;
  /** The lab process it runs (replica/<id>). */
  readonly processName: string;
  readonly image: string;
  readonly command: readonly string[];
  /** Host paths mounted at the same path: read-only ones and read-write ones. */
  readonly readOnly: readonly string[];
  readonly readWrite: readonly string[];
  readonly env: Readonly<Record<string, string>>;
  /** CPU cores (Docker's NanoCpus) and memory (Docker's Memory) the container may use; none by default. */
  readonly limits?: { readonly cpus?: number; readonly memoryMiB?: number };
}

export interface StartedContainer {
  readonly id: string;
  readonly name: string;
  /** Host pid of the container's first process (its own pid 1). */
  readonly pid: number;
}

/** Mount points that are not inside another of the list (a nested bind adds nothing). */
function outermost(paths: readonly string[]): string[] {
  const sorted = [...new Set(paths.map((p) => resolve(p)))].sort();
  return sorted.filter((p, i) => !sorted.slice(0, i).some((q) => p.startsWith(`${q}/`)));
}

/**
 * Starts a container for a lab process with testcontainers' GenericContainer: host networking (it
 * binds the loopback address the lab gave it; no Docker network is made or used), the host user's
 * uid/gid, the lab's labels, no automatic removal (a killed container is restarted by a heal).
 */
export async function startContainer(spec: ContainerSpec): Promise<StartedContainer> {
  const tc = await testcontainers();
  await dockerClient();
  const name = containerName(spec.labDir, spec.processName);
  const rw = outermost(spec.readWrite);
  const ro = outermost(spec.readOnly).filter((p) => !rw.some((w) => p === w || p.startsWith(`${w}/`)));
  const uid = process.getuid?.() ?? 0;
  const gid = process.getgid?.() ?? 0;
  const container = new tc.GenericContainer(spec.image)
    .withName(name)
    .withNetworkMode('host')
    .withUser(`${uid}:${gid}`)
    .withLabels({ [LAB_LABEL]: labContainerLabel(spec.labDir), [NAME_LABEL]: spec.processName, 'halab.lab-dir': resolve(spec.labDir) })
    .withBindMounts([...ro.map((p) => ({ source: p, target: p, mode: 'ro' as const })), ...rw.map((p) => ({ source: p, target: p, mode: 'rw' as const }))])
    .withEnvironment({ ...spec.env })
    .withCommand([...spec.command])
    .withPullPolicy({ shouldPull: () => false })
    .withAutoRemove(false)
    .withStartupTimeout(30_000);
  if (spec.limits && (spec.limits.cpus !== undefined || spec.limits.memoryMiB !== undefined)) {
    // testcontainers takes memory in GiB (Memory = ceil(GiB × 1024³) bytes) and CPUs in cores (NanoCpus)
    container.withResourcesQuota({
      ...(spec.limits.memoryMiB !== undefined ? { memory: spec.limits.memoryMiB / 1024 } : {}),
      ...(spec.limits.cpus !== undefined ? { cpu: spec.limits.cpus } : {}),
    });
  }
  let started;
  try {
    started = await container.start();
  } catch (err) {
    throw new HalabError('LAB_START_FAILED', `container ${name} (${spec.image}) did not start: ${errorMessage(err).split('\n')[0]}`, 'run scripts/setup-docker.sh (it builds the image); `docker logs` shows the container\'s output');
  }
  const id = started.getId();
  return { id, name, pid: await containerPid(id) };
}

/** Host pid of a running container's first process; 0 when it does not run. */
export async function containerPid(id: string): Promise<number> {
  const c = await dockerClient();
  const info = await c.container.inspect(c.container.getById(id));
  return info.State.Running ? info.State.Pid : 0;
}

export async function containerState(id: string): Promise<{ running: boolean; paused: boolean; pid: number } | undefined> {
  const c = await dockerClient();
  try {
    const s = (await c.container.inspect(c.container.getById(id))).State;
    return { running: s.Running, paused: s.Paused, pid: s.Running ? s.Pid : 0 };
  } catch {
    return undefined;
  }
}

/** docker kill (SIGKILL of everything in the container): the crash fault. */
export async function killContainer(id: string): Promise<void> {
  const c = await dockerClient();
  await c.container.getById(id).kill({ signal: 'SIGKILL' });
}

/** Host pids of every process in a running container (docker top). */
async function containerTasks(id: string): Promise<number[]> {
  const c = await dockerClient();
  const top = (await c.container.getById(id).top({ ps_args: '-o pid' })) as { Titles: string[]; Processes: string[][] };
  const col = Math.max(0, top.Titles.findIndex((t) => t.trim() === 'PID'));
  return top.Processes.map((p) => Number(p[col])).filter((n) => Number.isInteger(n) && n > 0);
}

function signalAll(pids: readonly number[], sig: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, sig);
    } catch {
      // gone
    }
  }
}

const PAUSE_ATTEMPTS = 3;

/**
 * Freezes every process of a container until thawContainer: docker pause (the cgroup freezer).
 * Under heavy load the cgroup-v1 freezer can give up ("unable to freeze": a busy task did not stop
 * in time); after a few tries every task of the container is SIGSTOPped instead — the same freeze,
 * by signal. Returns how it was frozen.
 */
export async function pauseContainer(id: string): Promise<'paused' | 'stopped'> {
  const c = await dockerClient();
  let last: unknown;
  for (let i = 0; i < PAUSE_ATTEMPTS; i++) {
    try {
      await c.container.getById(id).pause();
      return 'paused';
    } catch (err) {
      last = err;
      if (!/unable to freeze/.test(errorMessage(err))) break;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  if (!/unable to freeze/.test(errorMessage(last))) throw last;
  signalAll(await containerTasks(id), 'SIGSTOP');
  return 'stopped';
}

/**
 * Undoes pauseContainer the way it froze: unpause, or SIGCONT to every task (only then: a llama.cpp
 * sidecar's own SIGSTOPs of its engine, a replica.slow, are not undone by a hang's heal). A
 * container that is gone is left alone.
 */
export async function unpauseContainer(id: string, how: 'paused' | 'stopped' = 'paused'): Promise<boolean> {
  const state = await containerState(id);
  if (!state?.running) return false;
  const c = await dockerClient();
  if (state.paused) await c.container.getById(id).unpause();
  if (how === 'stopped') signalAll(await containerTasks(id), 'SIGCONT');
  return true;
}

/** Starts a stopped (killed) container again, or restarts a running one; returns the new host pid. */
export async function restartContainer(id: string): Promise<number> {
  const c = await dockerClient();
  const container = c.container.getById(id);
  const state = await containerState(id);
  if (state?.paused) await container.unpause();
  if (state?.running) await c.container.restart(container, { timeout: 2 });
  else await container.start();
  return containerPid(id);
}

/**
 * Stops a container (docker stop: SIGTERM, then SIGKILL after `graceS`; a paused one is thawed
 * first) and removes it; one already gone is fine.
 */
export async function stopAndRemoveContainer(id: string, graceS = 2): Promise<void> {
  const c = await dockerClient();
  const state = await containerState(id);
  if (state?.paused) await c.container.getById(id).unpause().catch(() => undefined);
  if (state?.running) await c.container.getById(id).stop({ t: graceS }).catch(() => undefined);
  await removeContainer(id);
}

/** Removes one container (force: a running or paused one too); one already gone is fine. */
export async function removeContainer(id: string): Promise<void> {
  const c = await dockerClient();
  await c.container.getById(id).remove({ force: true, v: true }).catch((err: unknown) => {
    if (!/no such container/i.test(errorMessage(err))) throw err;
  });
}

/** Ids and names of the containers carrying a lab's label (running or not). */
export async function labContainers(labDir: string): Promise<{ id: string; name: string; state: string }[]> {
  const c = await dockerClient();
  const list = await c.container.dockerode.listContainers({ all: true, filters: { label: [`${LAB_LABEL}=${labContainerLabel(labDir)}`] } });
  return list.map((i) => ({ id: i.Id, name: (i.Names[0] ?? i.Id).replace(/^\//, ''), state: i.State }));
}

/** Removes (force: paused and running ones too) every container of a lab; returns their names. */
export async function removeLabContainers(labDir: string): Promise<string[]> {
  const c = await dockerClient();
  const found = await labContainers(labDir);
  await Promise.all(found.map((f) => c.container.getById(f.id).remove({ force: true, v: true }).catch(() => undefined)));
  return found.map((f) => f.name);
}
