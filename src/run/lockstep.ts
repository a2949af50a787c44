// Lock-step for parallel labs: a lab's start-up (15–20 processes, its CPU-heaviest part) never
// lands inside another lab's measurement window. Labs start one at a time and only while no lab
// is under load; they put load on together once every lab is up; a lab that joins later (the next
// scenario of a worker) waits for the labs under load to finish. Parent and child `halab run`
// speak a line protocol: the child writes `lockstep: start?` or `lockstep: load?` on stderr and
// waits for `go` on its stdin (src/run/parallel-labs.ts runs the children).

/** Where a lab of a lock-step group stands. */
export type LockstepPhase = 'joined' | 'wantStart' | 'starting' | 'wantLoad' | 'loading';

/**
 * Which waiting labs may go on now, a pure function of every lab's phase: the labs waiting to
 * start, when no lab is under load (they then start one at a time); the labs waiting to load, once
 * every lab waits to load (none still joining or starting).
 */
export function lockstepRelease(phases: readonly LockstepPhase[]): 'start' | 'load' | undefined {
  if (phases.includes('wantStart') && !phases.includes('loading')) return 'start';
  if (phases.length > 0 && phases.every((p) => p === 'wantLoad')) return 'load';
  return undefined;
}

export interface LockstepMember {
  /** Resolves when this lab may start: it then holds the group's start turn until `started()`. */
  wantStart(): Promise<void>;
  /** Its lab is up (or failed to come up): the next lab may start. */
  started(): void;
  /** Resolves when this lab may put load on. */
  wantLoad(): Promise<void>;
  /** Its run is over for good (the child ended). */
  leave(): void;
}

/** The parent's side: one group of labs that start and load in lock-step. */
export class LockstepGroup {
  private readonly members = new Map<number, { phase: LockstepPhase; go?: () => void }>();
  private nextId = 0;
  /** The start turn: one lab starts at a time. */
  private turn: Promise<void> = Promise.resolve();

  join(): LockstepMember {
    const id = this.nextId++;
    const m: { phase: LockstepPhase; go?: () => void } = { phase: 'joined' };
    this.members.set(id, m);
    let endTurn: (() => void) | undefined;
    const wait = (phase: 'wantStart' | 'wantLoad'): Promise<void> =>
      new Promise((go) => {
        m.phase = phase;
        m.go = go;
        this.release();
      });
    return {
      wantStart: async () => {
        await wait('wantStart');
        const previous = this.turn;
        this.turn = new Promise((done) => (endTurn = done));
        await previous;
      },
      started: () => endTurn?.(),
      wantLoad: () => wait('wantLoad'),
      leave: () => {
        endTurn?.();
        this.members.delete(id);
        this.release();
      },
    };
  }

  private release(): void {
    const which = lockstepRelease([...this.members.values()].map((m) => m.phase));
    if (!which) return;
    const [from, to]: [LockstepPhase, LockstepPhase] = which === 'start' ? ['wantStart', 'starting'] : ['wantLoad', 'loading'];
    for (const m of this.members.values()) {
      if (m.phase !== from) continue;
      m.phase = to;
      const go = m.go;
      m.go = undefined;
      go?.();
    }
  }
}

/** The lines of the protocol. */
export const LOCKSTEP_ASK = /^lockstep: (start|load)\?$/;
export const LOCKSTEP_ENV = 'HALAB_LOCKSTEP';

/** The child's side: asks on stderr, waits for `go` on stdin. */
export interface Lockstep {
  beforeStart(): Promise<void>;
  beforeLoad(): Promise<void>;
}

/**
 * The child's lock-step when its parent asked for it (HALAB_LOCKSTEP=1, stdin a pipe from the
 * parent); undefined otherwise. An aborted signal (the parent's Ctrl-C) answers every ask, so an
 * interrupted child never waits for a `go` that will not come; a closed stdin (the parent died)
 * answers it too.
 */
export function stdinLockstep(signal: AbortSignal, env = process.env): Lockstep | undefined {
  if (env[LOCKSTEP_ENV] !== '1') return undefined;
  const stdin = process.stdin;
  stdin.setEncoding('utf8');
  const ask = (what: 'start' | 'load'): Promise<void> =>
    new Promise((go) => {
      let rest = '';
      const done = (): void => {
        stdin.off('data', onData);
        stdin.off('end', done);
        signal.removeEventListener('abort', done);
        stdin.pause();
        go();
      };
      const onData = (chunk: string): void => {
        rest += chunk;
        if (rest.split('\n').some((l) => l.trim() === 'go')) done();
      };
      if (signal.aborted) return go();
      stdin.on('data', onData);
      stdin.once('end', done);
      signal.addEventListener('abort', done, { once: true });
      stdin.resume();
      process.stderr.write(`lockstep: ${what}?\n`);
    });
  return { beforeStart: () => ask('start'), beforeLoad: () => ask('load') };
}
