// Independent scenarios in parallel labs (`halab run <suite> --parallel N`): N workers, each with
// its own lab directory (HALAB_HOME=<home>/parallel-<k>/, so its own lock, state, secret and
// lab-tagged iptables rules), its own loopback addresses (worker k moves every 127.0.x.y of its
// topology to 127.k.x.y) and ephemeral ports. Each worker's run is a child `halab` process (the
// lab credentials a CLI process holds are one lab's). Scenarios are taken longest first, so the long
// ones do not end up last. Worker 0 uses the default lab (HALAB_HOME), as a sequential run does.
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { labPaths, type LabPaths } from '../process/paths.js';
import { LOCKSTEP_ASK, LOCKSTEP_ENV, type LockstepGroup } from './lockstep.js';

/** Most labs run at once: more only adds contention (each lab is 10–20 processes). */
export const MAX_PARALLEL_LABS = 8;

/** The default number of parallel labs: one per two cores, at least 2 (a lab mostly waits on timers). */
export function defaultParallelLabs(cores = availableParallelism()): number {
  return Math.min(MAX_PARALLEL_LABS, Math.max(2, Math.floor(cores / 2)));
}

/** The lab paths of worker k (0: the default lab). */
export function workerLabPaths(k: number, base: LabPaths = labPaths()): LabPaths {
  return k === 0 ? base : labPaths(join(base.home, `parallel-${k}`));
}

/** Moves a topology document's loopback addresses into worker k's block: 127.0.x.y → 127.k.x.y. */
export function moveAddresses(doc: Record<string, unknown>, k: number): Record<string, unknown> {
  if (k === 0) return doc;
  const move = (h: unknown): unknown => (typeof h === 'string' ? h.replace(/^127\.0\.(\d+)\.(\d+)$/, `127.${k}.$1.$2`) : h);
  const regions = (doc.regions as Record<string, unknown>[] | undefined)?.map((r) => ({ ...r, host: move(r.host) }));
  const cp = (doc.controlPlane ?? {}) as Record<string, unknown>;
  return { ...doc, ...(regions ? { regions } : {}), controlPlane: { ...cp, host: move(cp.host ?? '127.0.0.1') } };
}

/**
 * Runs jobs on `parallel` workers; each job gets its worker's index. Jobs start in the order given
 * (sort longest first before); results come back in the order of `jobs`. A job that throws stops
 * nothing else: its error is its result.
 */
export async function runOnWorkers<J, R>(jobs: readonly J[], parallel: number, run: (job: J, worker: number) => Promise<R>, stop?: AbortSignal): Promise<(R | Error | undefined)[]> {
  const results: (R | Error | undefined)[] = new Array(jobs.length).fill(undefined);
  let next = 0;
  const worker = async (k: number): Promise<void> => {
    while (next < jobs.length && !stop?.aborted) {
      const i = next++;
      try {
        results[i] = await run(jobs[i]!, k);
      } catch (err) {
        results[i] = err instanceof Error ? err : new Error(String(err));
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(parallel, jobs.length)) }, (_, k) => worker(k)));
  return results;
}

/** HALAB_HOME of worker k's child process. */
export function workerHome(k: number, base: LabPaths = labPaths()): string {
  return workerLabPaths(k, base).home;
}

export interface ChildRun {
  readonly code: number;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Runs `halab <args>` as a child process in worker k's lab (its HALAB_HOME and address block),
 * every stderr line passed to `log`; stdout is dropped (the parent reads the run directory). An
 * aborted signal is passed on as SIGINT, so the child heals its faults and takes its lab down. With
 * a group, the child's lab starts and loads in lock-step with the group's other labs
 * (src/run/lockstep.ts): its asks are answered on its stdin and not logged.
 */
export function runChildHalab(bin: string, args: readonly string[], worker: number, log: (line: string) => void, stop?: AbortSignal, group?: LockstepGroup): Promise<ChildRun> {
  return new Promise((resolve, reject) => {
    const lockstep = group?.join();
    const child = spawn(process.execPath, [bin, ...args, ...(worker > 0 ? ['--address-block', String(worker)] : [])], {
      env: { ...process.env, HALAB_HOME: workerHome(worker), ...(lockstep ? { [LOCKSTEP_ENV]: '1' } : {}) },
      stdio: [lockstep ? 'pipe' : 'ignore', 'ignore', 'pipe'],
      // its own process group: a terminal's Ctrl-C reaches the parent only, which passes it on once
      detached: true,
    });
    let rest = '';
    const stderr = child.stderr!;
    stderr.setEncoding('utf8');
    stderr.on('data', (chunk: string) => {
      const lines = (rest + chunk).split(/\r?\n|\r/);
      rest = lines.pop() ?? '';
      for (const l of lines) if (l.trim()) onLine(l);
    });
    // a `go` written after the child ended is nobody's business
    child.stdin?.on('error', () => undefined);
    const answer = (ready: Promise<void>): void => void ready.then(() => child.stdin?.write('go\n'));
    const onLine = (line: string): void => {
      const ask = LOCKSTEP_ASK.exec(line);
      if (lockstep && ask) return answer(ask[1] === 'start' ? lockstep.wantStart() : lockstep.wantLoad());
      if (lockstep && LAB_UP.test(line)) lockstep.started();
      log(line);
    };
    const onStop = (): void => void child.kill('SIGINT');
    stop?.addEventListener('abort', onStop, { once: true });
    child.on('error', (err) => {
      lockstep?.leave();
      reject(err);
    });
    child.on('close', (code, signal) => {
      stop?.removeEventListener('abort', onStop);
      if (rest.trim()) onLine(rest);
      lockstep?.leave();
      resolve({ code: code ?? -1, signal });
    });
  });
}

/** A line of `halab run` saying its lab is up (its start-up, the CPU-heaviest part, is over). */
const LAB_UP = /^lab up; /;
