// A replica host (topology `replicaHost: shared`): one process runs the stand-in replicas of one
// cluster. Each hosted replica keeps what a replica process has — its own HTTP listener, its own
// gRPC agent server, its own engine, fault state, registration and heartbeat stream, and its own
// lab identity — so the gateways, the control plane and the chaos engine see N replicas, not one.
// A crash of one (replica.crash, a version that crashes on load) ends only that replica: its
// listeners close and every connection it holds is cut without a goodbye, as a kill would; the
// others go on. The host restarts it on request (a heal), on new ports, as a new incarnation.
// Each incarnation has a pid-like id (`hostedPid`): above any real pid, unique per host pid, slot
// and incarnation, reported at registration and so in the record.
import { rmSync } from 'node:fs';
import type { Logger } from '../core/log.js';
import { readyFile, writeReadyFile } from '../process/paths.js';
import type { RunningReplica } from './replica-server.js';

/** First pid-like id: above Linux's largest pid (2^22), so one is never mistaken for a process. */
export const HOSTED_PID_BASE = 2 ** 30;

/** The pid-like id of incarnation `incarnation` of the replica in `slot` of the host with `hostPid`. */
export function hostedPid(hostPid: number, slot: number, incarnation: number): number {
  return HOSTED_PID_BASE + (hostPid & 0xffff) * 2 ** 14 + (slot & 0x7f) * 2 ** 7 + (incarnation & 0x7f);
}

export interface HostedReplicaInfo {
  readonly id: string;
  readonly vpid: number;
  readonly httpUrl: string;
  readonly agentAddress: string;
  readonly incarnation: number;
}

export type HostedState = 'starting' | 'running' | 'crashed' | 'stopped';

/** Starts one incarnation of a hosted replica; `crashed` must be called by its exit path. */
export type StartHosted = (id: string, vpid: number, crashed: (code: number) => void) => Promise<RunningReplica>;

interface Slot {
  readonly id: string;
  readonly index: number;
  incarnation: number;
  state: HostedState;
  running?: RunningReplica;
  info?: HostedReplicaInfo;
  starting?: Promise<HostedReplicaInfo>;
}

export interface ReplicaHostOptions {
  /** Process name of the host (`replica-host/<region>/<cluster>`). */
  readonly name: string;
  readonly labDir: string;
  readonly hostPid: number;
  readonly log: Logger;
}

export class ReplicaHost {
  private readonly slots = new Map<string, Slot>();

  constructor(
    ids: readonly string[],
    private readonly opts: ReplicaHostOptions,
    private readonly startOne: StartHosted,
  ) {
    ids.forEach((id, index) => this.slots.set(id, { id, index, incarnation: 0, state: 'stopped' }));
  }

  ids(): string[] {
    return [...this.slots.keys()];
  }

  state(id: string): HostedState | undefined {
    return this.slots.get(id)?.state;
  }

  info(id: string): HostedReplicaInfo | undefined {
    return this.slots.get(id)?.info;
  }

  /** Starts every hosted replica (listening; models load in the background). */
  async startAll(): Promise<HostedReplicaInfo[]> {
    return Promise.all(this.ids().map((id) => this.start(id)));
  }

  /** Starts a stopped or crashed replica as a new incarnation; a running one is left as it is. */
  async start(id: string): Promise<HostedReplicaInfo> {
    const slot = this.slot(id);
    if (slot.state === 'running' && slot.info) return slot.info;
    if (slot.starting) return slot.starting;
    slot.starting = this.launch(slot).finally(() => (slot.starting = undefined));
    return slot.starting;
  }

  private async launch(slot: Slot): Promise<HostedReplicaInfo> {
    slot.incarnation += 1;
    slot.state = 'starting';
    const incarnation = slot.incarnation;
    const vpid = hostedPid(this.opts.hostPid, slot.index, incarnation);
    let running: RunningReplica;
    try {
      running = await this.startOne(slot.id, vpid, (code) => this.crash(slot.id, code, incarnation));
    } catch (err) {
      slot.state = 'crashed';
      throw err;
    }
    slot.running = running;
    slot.state = 'running';
    slot.info = { id: slot.id, vpid, httpUrl: running.httpUrl, agentAddress: running.agentAddress, incarnation };
    writeReadyFile(this.opts.labDir, `replica/${slot.id}`, { vpid, httpUrl: running.httpUrl, agentAddress: running.agentAddress, host: this.opts.name, incarnation });
    this.opts.log.info({ replica: slot.id, vpid, httpUrl: running.httpUrl, agentAddress: running.agentAddress }, 'hosted replica listening; loading model');
    return slot.info;
  }

  /**
   * Ends one replica as its process's death would (its exit path: a crash fault, a version that
   * crashes on load). Only this incarnation: a late exit of an older one does nothing.
   */
  crash(id: string, code: number, incarnation = this.slots.get(id)?.incarnation): void {
    const slot = this.slots.get(id);
    if (!slot || slot.state !== 'running' || slot.incarnation !== incarnation) return;
    slot.state = 'crashed';
    slot.running?.crash();
    slot.running = undefined;
    rmSync(readyFile(this.opts.labDir, `replica/${id}`), { force: true });
    this.opts.log.warn({ replica: id, vpid: slot.info?.vpid, code }, 'hosted replica crashed');
  }

  /** Stops one replica gracefully (a deployment retires it). */
  async stop(id: string): Promise<void> {
    const slot = this.slot(id);
    const running = slot.running;
    slot.state = 'stopped';
    slot.running = undefined;
    rmSync(readyFile(this.opts.labDir, `replica/${id}`), { force: true });
    await running?.close();
  }

  async closeAll(): Promise<void> {
    await Promise.all(this.ids().map((id) => this.stop(id)));
  }

  private slot(id: string): Slot {
    const slot = this.slots.get(id);
    if (!slot) throw new Error(`replica ${id} is not hosted here (${this.opts.name} hosts ${this.ids().join(', ')})`);
    return slot;
  }
}
