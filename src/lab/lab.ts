// Brings a topology up as processes (control plane, one gateway per region, one replica per GPU)
// on loopback, waits until every replica is healthy, and tears it all down again.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { Topology } from '../config/topology.js';
import { getStatus, waitForStatus } from './cp-client.js';
import { isAlive, spawnComponent, waitReady, type Component } from '../process/launcher.js';
import { readLabState, writeLabState, type LabState, type ProcessEntry } from '../process/lab-state.js';
import { describeLeftAlone, surveyLab } from '../process/lab-processes.js';
import { isOwnedAlive } from '../process/owned.js';
import type { LabPaths } from '../process/paths.js';
import { terminateOwned } from '../process/reaper.js';
import { checkApiKeys, standinArgs, writeResolvedTopology } from './external-endpoints.js';
import { launchControlPlanes } from './controlplane-launch.js';
import { spawnEtcd } from './etcd.js';
import { createLinkProxies, findToxiproxy, glbRoutes, startToxiproxy } from './link-proxies.js';
import { removeLabRules } from './firewall.js';
import { computeKnownAnswers } from './llamacpp-reference.js';
import { removeContainersOf, restartContainerProcess, startContainerReplicas, waitContainerReplicas } from './container-replicas.js';
import { request } from 'undici';
import { ensureLabSecret } from '../process/lab-secret.js';
import { gatewayConfigFrom } from '../gateway/regional/config.js';
import { hostedClusters, launchReplicaHosts, recordHostedReplicas, restartHosted } from './replica-hosts.js';
import { glbConfigFrom } from '../gateway/global/config.js';

export interface StartOptions {
  /** Bound on start-up, model loading included. */
  readonly timeoutMs?: number;
  readonly seed?: number;
}

function readyTimeoutMs(topology: Topology, opts: StartOptions): number {
  return opts.timeoutMs ?? 20_000 + (topology.modelLoadMs ?? 25_000) * topology.timeScale * 2;
}

/**
 * Refuses to start over a live lab; removes the remains of a dead one (a stale or corrupt state
 * file whose processes are all gone).
 */
async function claimLab(paths: LabPaths, clock: Clock): Promise<void> {
  const survey = surveyLab(paths);
  const live = survey.processes.filter((p) => p.liveness === 'alive');
  if (survey.corrupt && live.length > 0) {
    throw new HalabError('LAB_ALREADY_RUNNING', `${survey.corrupt.message}, and ${live.length} of the processes it started still run (${live.map((p) => `${p.name} pid ${p.pid}`).join(', ')})`, 'stop them with `halab down`, then `halab up` again');
  }
  const existing = survey.state;
  if (existing && live.length > 0) {
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
  ensureLabSecret(paths.labDir);
  const topologyFile = resolve(topology.file);
  const state: LabState = { labDir: paths.labDir, topologyFile, startedAtMs: clock.nowMs(), ownerPid: process.pid, processes: [] };
  const timeoutMs = readyTimeoutMs(topology, opts);
  checkApiKeys(topology);
  // the gateway and entry settings are checked with their defaults before anything starts
  gatewayConfigFrom(topology.gateway, topology.file);
  glbConfigFrom(topology.entry, topology.file);
  const common = ['--topology', topologyFile, '--lab-dir', paths.labDir];
  // the run's seed: replicas draw error rates from it, gateways their retry jitter
  const seedArgs = opts.seed !== undefined ? ['--seed', String(opts.seed)] : [];
  const launch = (entry: Omit<ProcessEntry, 'pid'> & { readonly kind: Component }): ProcessEntry => {
    const pid = spawnComponent(entry.kind, entry.name, entry.args, paths.labDir);
    const started = { ...entry, pid };
    state.processes.push(started);
    writeLabState(paths, state);
    return started;
  };
  try {
    // endpoints without a URL get a misbehaving-upstream stand-in (a plain OpenAI server, no agent)
    const launched = topology.replicas.filter((r) => r.external?.launched);
    if (launched.length > 0) {
      const procs = launched.map((r) => launch({ name: `standin/${r.id}`, kind: 'standin', subject: r.id, args: standinArgs(topology, r, paths.labDir, `standin/${r.id}`) }));
      const ready = await Promise.all(procs.map((p) => waitReady(paths.labDir, p.name, p.pid, clock, 15_000)));
      const urls = new Map(ready.map((r, i) => [launched[i]!.id, String(r.ready.httpUrl)]));
      procs.forEach((p, i) => (p.url = urls.get(launched[i]!.id)!));
      state.topologyFile = writeResolvedTopology(topology, urls, paths.labDir);
      common[1] = state.topologyFile;
      writeLabState(paths, state);
    }
    const record = (e: ProcessEntry): void => {
      state.processes.push(e);
      writeLabState(paths, state);
    };
    // llama.cpp replicas: the control plane's known answers, from reference engines, before it starts
    if (topology.llamacppEngine) await computeKnownAnswers(topology, paths.labDir, clock);
    state.controlPlane = await launchControlPlanes(topology, paths, state, launch, record, common, clock);
    // replicaHost: shared: one host process per stand-in cluster runs its replicas (replica-hosts.ts)
    const hosted = new Set([...hostedClusters(topology).values()].flatMap((c) => c.ids));
    const hosts = launchReplicaHosts(topology, launch, (cluster, host) => ['--cluster', cluster, '--host', host, '--control-plane', state.controlPlane!, ...common, ...seedArgs]);
    const replicas = topology.replicas.filter((r) => !r.external && !r.container && !hosted.has(r.id)).map((r) =>
      launch({
        name: `replica/${r.id}`,
        kind: 'replica',
        subject: r.id,
        args: ['--id', r.id, '--host', r.host, '--control-plane', state.controlPlane!, ...common, ...seedArgs],
      }),
    );
    // replicas of `container: true` clusters: one container each, with the same arguments (src/lab/container-replicas.ts)
    const contained = await startContainerReplicas(topology, paths, state, (id, host) => ['--id', id, '--host', host, '--control-plane', state.controlPlane!, ...common, ...seedArgs]);
    const gateways = topology.regions.map((region) =>
      launch({
        name: `gateway/${region.name}`,
        kind: 'gateway',
        subject: region.name,
        args: ['--region', region.name, '--host', region.host, '--control-plane', state.controlPlane!, ...common, ...seedArgs],
      }),
    );
    const ready = await Promise.all([...replicas, ...gateways].map((p) => waitReady(paths.labDir, p.name, p.pid, clock, timeoutMs)));
    for (const h of hosts) recordHostedReplicas(paths, state, h, (await waitReady(paths.labDir, h.name, h.pid, clock, timeoutMs)).ready);
    ready.forEach((r, i) => {
      const entry = [...replicas, ...gateways][i]!;
      if (typeof r.ready.url === 'string') entry.url = r.ready.url;
      if (typeof r.ready.httpUrl === 'string') entry.url = r.ready.httpUrl;
      if (typeof r.ready.agentAddress === 'string') entry.address = r.ready.agentAddress;
    });
    await waitContainerReplicas(paths, state, contained, clock, timeoutMs);
    await startGlobalEntry(topology, paths, clock, state, gateways, common, launch, timeoutMs);
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
 * Starts the inter-region link proxies (when Toxiproxy is installed) and the global load balancer
 * on the control-plane host, makes it the entrypoint, and waits until it sees every region healthy.
 */
async function startGlobalEntry(
  topology: Topology,
  paths: LabPaths,
  clock: Clock,
  state: LabState,
  gateways: readonly ProcessEntry[],
  common: readonly string[],
  launch: (entry: Omit<ProcessEntry, 'pid'> & { readonly kind: Component }) => ProcessEntry,
  timeoutMs: number,
): Promise<void> {
  const host = topology.controlPlane.host;
  const gatewayUrls = gateways.map((g) => ({ region: g.subject!, url: g.url! }));
  const deadline = clock.monoMs() + timeoutMs;
  // a gateway is ready before its pool has a routable replica (the control plane's watch fills it):
  // started before that, the GLB's first checks would fail every region over and back at lab start
  for (const g of gatewayUrls) {
    while (!(await gatewayServing(g.url))) {
      if (clock.monoMs() > deadline) throw new HalabError('LAB_START_FAILED', `the gateway of ${g.region} has no routable replica within ${timeoutMs}ms`);
      await clock.sleep(50);
    }
  }
  const toxiproxy = findToxiproxy();
  if (toxiproxy.path) {
    const started = await startToxiproxy(toxiproxy.path, host, paths.labDir, clock);
    state.processes.push({ name: 'links', kind: 'toxiproxy', pid: started.pid, url: started.api, args: started.args });
    writeLabState(paths, state);
    state.links = { api: started.api, proxies: await createLinkProxies(started.api, gatewayUrls, topology.links.interRegionLatencyMs) };
  } else {
    state.linksNote = `no link proxies: ${toxiproxy.reason}`;
  }
  writeLabState(paths, state);
  const routes = glbRoutes(topology.regions.map((r) => r.name), gatewayUrls, state.links);
  const glb = launch({ name: 'glb', kind: 'glb', args: ['--host', host, '--routes', JSON.stringify(routes), '--default-region', topology.regions[0]!.name, ...common] });
  const ready = await waitReady(paths.labDir, glb.name, glb.pid, clock, timeoutMs);
  glb.url = String(ready.ready.url);
  state.glb = state.entrypoint = glb.url;
  writeLabState(paths, state);
  for (;;) {
    const available = await glbAvailable(glb.url);
    if (available.length === topology.regions.length) return;
    if (clock.monoMs() > deadline) throw new HalabError('LAB_START_FAILED', `the global load balancer sees ${available.join(', ') || 'no region'} available of ${topology.regions.length} within ${timeoutMs}ms`);
    await clock.sleep(50);
  }
}

/** Whether a regional gateway has a routable replica (its /health answers 200). */
async function gatewayServing(url: string): Promise<boolean> {
  try {
    const res = await request(`${url}/health`);
    await res.body.dump();
    return res.statusCode === 200;
  } catch {
    return false;
  }
}

/** Regions the global load balancer routes to now (empty when it does not answer). */
export async function glbAvailable(url: string): Promise<string[]> {
  try {
    const res = await request(`${url}/health`);
    return ((await res.body.json()) as { available?: string[] }).available ?? [];
  } catch {
    return [];
  }
}

/**
 * Updates one process entry in the state file as it is now (read, patch, write in one synchronous
 * step), so concurrent restarts (a region's heal restarts many processes at once) do not overwrite
 * each other's pids with a stale copy.
 */
function patchProcess(paths: LabPaths, name: string, patch: Partial<Pick<ProcessEntry, 'pid' | 'url' | 'address'>>): void {
  const fresh = readLabState(paths);
  const entry = fresh?.processes.find((p) => p.name === name);
  if (!fresh || !entry) return;
  Object.assign(entry, patch);
  writeLabState(paths, fresh);
}

/**
 * Restarts a stopped lab process with its original arguments (heals a crash). A gateway gets its
 * old port back so clients keep their URL; a replica re-registers with its new address.
 */
export async function restartProcess(paths: LabPaths, processName: string, clock: Clock): Promise<ProcessEntry> {
  const state = readLabState(paths);
  const entry = state?.processes.find((p) => p.name === processName);
  if (!state || !entry) throw new HalabError('UNKNOWN_TARGET', `no process ${processName} in the running lab`);
  // a hosted replica (replicaHost: shared): its host restarts it if it crashed
  if (entry.host) return restartHosted(paths, entry, clock);
  // A process killed a moment ago may not be gone yet (a heal right after the inject).
  const running = (): boolean => (entry.startTicks !== undefined ? isOwnedAlive(entry) : isAlive(entry.pid));
  const deadline = clock.monoMs() + 2000;
  while (running() && clock.monoMs() < deadline) await clock.sleep(20);
  if (running()) return entry;
  if (entry.container) return restartContainerProcess(paths, entry, clock);
  const port = (entry.kind === 'gateway' || entry.kind === 'glb') && entry.url ? ['--port', new URL(entry.url).port] : [];
  if (entry.kind === 'controlplane' && entry.address) port.push('--port', entry.address.split(':').at(-1)!);
  if (entry.kind === 'toxiproxy') throw new HalabError('UNKNOWN_TARGET', 'the link proxies are not restarted; bring the lab up again');
  if (entry.kind === 'etcd') {
    entry.pid = spawnEtcd(paths.labDir, entry.name, entry.args);
    patchProcess(paths, processName, { pid: entry.pid });
    return entry;
  }
  entry.pid = spawnComponent(entry.kind, entry.name, [...entry.args, ...port], paths.labDir);
  patchProcess(paths, processName, { pid: entry.pid });
  const ready = await waitReady(paths.labDir, entry.name, entry.pid, clock, 30_000);
  if (typeof ready.ready.httpUrl === 'string') entry.url = ready.ready.httpUrl;
  if (typeof ready.ready.url === 'string') entry.url = ready.ready.url;
  if (typeof ready.ready.agentAddress === 'string') entry.address = ready.ready.agentAddress;
  patchProcess(paths, processName, { pid: entry.pid, ...(entry.url ? { url: entry.url } : {}), ...(entry.address ? { address: entry.address } : {}) });
  return entry;
}

export interface StopReport {
  /** Whether there was a lab directory at all. */
  readonly found: boolean;
  readonly stopped: number;
  /** Processes the lab started that had already exited. */
  readonly alreadyGone: number;
  /** Recorded pids not signalled, and why (the pid was reused; no start time to prove ownership). */
  readonly leftAlone: readonly string[];
  /** Why the state file could not be used, when it could not (the launch ledger was used instead). */
  readonly corrupt?: string;
  /** Containers of the lab removed (by its label). */
  readonly containersRemoved?: number;
}

/**
 * Stops every process the lab started — those in its state file and its launch ledger whose pid
 * and start time still match, never a process found by its command line — then removes the lab
 * directory. Recovers from a corrupt or stale state file. Safe to run when nothing is running.
 */
export async function stopLab(paths: LabPaths, clock: Clock): Promise<StopReport> {
  const found = existsSync(paths.labDir);
  const survey = surveyLab(paths);
  const mine = survey.processes.filter((p) => p.pid !== process.pid);
  const live = mine.filter((p) => p.liveness === 'alive');
  // processes first (the control plane among them, so it cannot bring back the replicas it sees go),
  // then every container of the lab by its label
  await terminateOwned(live, clock);
  const containers = await removeContainersOf(paths.labDir);
  removeLabRules(paths.labDir);
  rmSync(paths.labDir, { recursive: true, force: true });
  return {
    found,
    stopped: live.length,
    alreadyGone: mine.filter((p) => p.current && p.liveness === 'dead').length,
    leftAlone: [...mine.filter((p) => p.liveness === 'reused' || p.liveness === 'unverified').map(describeLeftAlone), ...(containers.error ? [containers.error] : [])],
    ...(containers.removed.length ? { containersRemoved: containers.removed.length } : {}),
    ...(survey.corrupt ? { corrupt: survey.corrupt.message } : {}),
  };
}

/** Status of the running lab's control plane, or undefined when it does not answer. */
export async function labStatus(state: LabState, clock: Clock) {
  return state.controlPlane ? getStatus(state.controlPlane, clock).catch(() => undefined) : undefined;
}
