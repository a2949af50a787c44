// The control plane's high availability in the harness: several control-plane instances campaign
// with the production leadership code (etcdLeadership) and write through the production
// EtcdStateStore, fenced with the production fenceStore, against the in-memory etcd (sim-etcd.ts)
// on the harness's clock. The leader writes the published topology every interval; a leader that
// loses its lease or has a write refused stops (fail-stop, as the control plane's main does) and a
// supervisor restarts it. Faults from the seed: a process pause (GC, SIGSTOP: no keep-alives, its
// timers wait) past the lease TTL, and a kill. The check: every committed state write comes from
// the instance that holds the leader key at that revision — never two leaders that both write.
import type { Namespace } from 'etcd3';
import type { Clock, TimerHandle } from '../../core/clock.js';
import type { Rng } from '../../core/rng.js';
import { EtcdStateStore } from '../../store/state-store-etcd.js';
import { etcdLeadership, fenceStore, type Leadership } from '../../controlplane/ha/leadership.js';
import { errorMessage } from '../../core/errors.js';
import { SimEtcd, SimNamespace, type SimElection } from './sim-etcd.js';

export interface HaOptions {
  readonly instances: number;
  /** The leader lease (the topology's controlPlane.leaseTtlS). */
  readonly ttlS: number;
  /** The leader writes its state this often, ms. */
  readonly writeIntervalMs: number;
  /** A failed instance is restarted by its supervisor after this long, ms. */
  readonly restartMs: number;
  /** Fence writes to the leader lease (false: a deliberately broken control plane, for tests). */
  readonly fencing: boolean;
}

export const DEFAULT_HA: HaOptions = Object.freeze({ instances: 3, ttlS: 2, writeIntervalMs: 1000, restartMs: 2000, fencing: true });

export interface HaFault {
  readonly kind: 'pause' | 'kill';
  /** Which instance: the one leading at the time, or a fixed index. */
  readonly target: 'leader' | number;
  readonly atMs: number;
  readonly forMs: number;
}

/** Up to two faults of the control-plane instances within [fromMs, toMs). */
export function haFaults(rng: Rng, ha: HaOptions, fromMs: number, toMs: number): HaFault[] {
  const out: HaFault[] = [];
  const ttlMs = ha.ttlS * 1000;
  if (rng.next() < 0.5) out.push({ kind: 'pause', target: 'leader', atMs: Math.round(rng.uniform(fromMs, toMs)), forMs: Math.round(rng.uniform(0.5, 3) * ttlMs) });
  if (rng.next() < 0.3) out.push({ kind: 'kill', target: rng.int(0, ha.instances - 1), atMs: Math.round(rng.uniform(fromMs, toMs)), forMs: ha.restartMs });
  return out.sort((a, b) => a.atMs - b.atMs);
}

interface Instance {
  readonly index: number;
  readonly address: string;
  alive: boolean;
  paused: boolean;
  leading: boolean;
  /** Bumped on every (re)start: callbacks of an older life are ignored. */
  life: number;
  leadership: Leadership | undefined;
  store: EtcdStateStore | undefined;
  writeTimer: TimerHandle | undefined;
  /** Work that came due while the process was paused: it runs when it resumes, in order. */
  deferred: (() => void)[];
}

export interface HaHooks {
  /** A line for the trace. */
  note(what: string): void;
  /** A violation of the one-writing-leader check. */
  twoLeaders(subject: string, message: string): void;
  /** The async work of the instances ran: the harness settles the instant fully. */
  activity(): void;
  /** What the leader writes (the published topology's version). */
  state(): string;
}

export class SimControlPlaneHa {
  readonly etcd: SimEtcd;
  private readonly instances: Instance[] = [];
  private readonly election: SimElection;
  private stopped = false;
  writes = 0;
  refused = 0;

  constructor(
    private readonly clock: Clock,
    private readonly opts: HaOptions,
    private readonly hooks: HaHooks,
  ) {
    this.etcd = new SimEtcd(clock);
    this.election = new SimNamespace(this.etcd, clock, { name: 'observer', up: () => true }, 'halab/').election('controlplane', opts.ttlS);
    this.etcd.onCommit = (c) => {
      const leader = this.election.leader();
      if (leader !== c.client) this.hooks.twoLeaders(c.client, `${c.client} wrote ${c.keys.join(', ')} at revision ${c.revision} while ${leader ?? 'no instance'} held the leader lease`);
    };
    for (let i = 0; i < opts.instances; i++) {
      this.instances.push({ index: i, address: `sim-cp-${i}`, alive: false, paused: false, leading: false, life: 0, leadership: undefined, store: undefined, writeTimer: undefined, deferred: [] });
    }
  }

  start(faults: readonly HaFault[]): void {
    for (const inst of this.instances) void this.boot(inst);
    for (const f of faults) {
      this.clock.setTimer(f.atMs, () => {
        this.hooks.activity();
        const inst = f.target === 'leader' ? this.instances.find((i) => i.leading && i.alive) : this.instances[f.target];
        if (!inst || !inst.alive) return;
        if (f.kind === 'pause') this.pause(inst, f.forMs);
        else this.kill(inst, `killed by fault, restarted in ${f.forMs}ms`);
      });
    }
  }

  /** The instance that leads now (elected, alive, not paused), per its own belief. */
  leaders(): string[] {
    return this.instances.filter((i) => i.alive && i.leading).map((i) => i.address);
  }

  /** Who holds the leader key, per the store. */
  storeLeader(): string | undefined {
    return this.election.leader();
  }

  stop(): void {
    this.stopped = true;
    for (const inst of this.instances) {
      inst.writeTimer?.cancel();
      inst.paused = false;
      void inst.leadership?.close();
    }
  }

  private async boot(inst: Instance): Promise<void> {
    if (this.stopped) return;
    const life = ++inst.life;
    inst.alive = true;
    inst.paused = false;
    inst.leading = false;
    inst.deferred = [];
    const ns = new SimNamespace(this.etcd, this.clock, { name: inst.address, up: () => inst.alive && !inst.paused && inst.life === life }, 'halab/');
    const store = EtcdStateStore.over(ns as unknown as Namespace, 'sim-etcd');
    inst.store = store;
    try {
      inst.leadership = await etcdLeadership(store, inst.address, this.opts.ttlS, {
        elected: () => this.elected(inst, life),
        lost: (why) => this.lost(inst, life, why),
      });
    } catch (err) {
      this.lost(inst, life, `campaign failed: ${errorMessage(err)}`);
    }
  }

  private async elected(inst: Instance, life: number): Promise<void> {
    this.hooks.activity();
    if (inst.life !== life || !inst.alive) return;
    if (this.opts.fencing) await fenceStore(inst.leadership!, inst.store!);
    if (inst.life !== life || !inst.alive) return;
    inst.leading = true;
    this.hooks.note(`${inst.address} elected leader`);
    this.write(inst, life);
  }

  private lost(inst: Instance, life: number, why: string): void {
    this.hooks.activity();
    if (inst.life !== life || !inst.alive) return;
    this.hooks.note(`${inst.address} stops (fail-stop): ${why}`);
    this.kill(inst, why);
  }

  /** The leader's periodic state write (through the fenced store); a refusal is fail-stop. */
  private write(inst: Instance, life: number): void {
    const run = (): void => {
      if (inst.life !== life || !inst.alive || !inst.leading || this.stopped) return;
      if (inst.paused) return void inst.deferred.push(run);
      this.hooks.activity();
      inst.store!.put('routing/snapshot', this.hooks.state()).then(
        () => {
          this.writes += 1;
        },
        (err: Error & { code?: string }) => {
          this.refused += 1;
          this.lost(inst, life, `state write refused: ${err.message}`);
        },
      );
      inst.writeTimer = this.clock.setTimer(this.opts.writeIntervalMs, run);
    };
    run();
  }

  private pause(inst: Instance, forMs: number): void {
    inst.paused = true;
    this.hooks.note(`${inst.address} paused for ${forMs}ms`);
    this.clock.setTimer(forMs, () => {
      this.hooks.activity();
      if (!inst.paused) return;
      inst.paused = false;
      this.hooks.note(`${inst.address} resumed`);
      const work = inst.deferred;
      inst.deferred = [];
      for (const w of work) w();
    });
  }

  private kill(inst: Instance, why: string): void {
    inst.alive = false;
    inst.leading = false;
    inst.paused = false;
    inst.writeTimer?.cancel();
    inst.life += 1;
    this.hooks.note(`${inst.address} down: ${why}`);
    this.clock.setTimer(this.opts.restartMs, () => {
      this.hooks.activity();
      void this.boot(inst);
    });
  }
}
