// Worker processes for an edge process (node:cluster): the primary forks `workers` copies of the
// process, each a full server on the same listening port (the primary hands connections out
// round-robin), waits until every one listens, then writes the lab's ready file naming the URL and
// the workers' pids. Each worker keeps its own state (admission counters, retry budget, health and
// ejection state) under its share of the process-wide bounds; /metrics answers the sum over all
// workers (prom-client's AggregatorRegistry, asked through the primary). A worker that dies is
// replaced; SIGTERM to the primary stops the workers first; a primary killed outright takes its
// workers with it (a cluster worker exits when its channel to the primary closes).
import cluster from 'node:cluster';
import { AggregatorRegistry, type Registry } from 'prom-client';

export { defaultWorkerCount } from './worker-count.js';

/** Whether this process is a worker forked by an edge primary. */
export function isEdgeWorker(): boolean {
  return cluster.isWorker;
}

/** Whether this process should fork workers instead of serving itself. */
export function shouldFork(workers: number): boolean {
  return cluster.isPrimary && workers > 1;
}

/** A process-wide bound split across `workers` (each worker enforces its share, at least 1). */
export function perWorker(bound: number, workers: number): number {
  return Math.max(1, Math.ceil(bound / workers));
}

interface ReadyMessage {
  readonly type: 'halab.worker.ready';
  readonly url: string;
}

interface MetricsAsk {
  readonly type: 'halab.worker.metrics';
  readonly n: number;
}

export interface PrimaryHooks {
  /** Every worker listens at `url`. */
  onReady(url: string, workerPids: readonly number[]): void;
  onWorkerExit(pid: number, code: number | null, signal: string | null, replaced: boolean): void;
}

/**
 * Runs the primary: forks `workers` workers (same argv), resolves once all listen. Stops them and
 * exits on SIGTERM/SIGINT. Rejects when a worker dies before listening (the process cannot start).
 */
export async function runPrimary(workers: number, hooks: PrimaryHooks, exitCode = 0): Promise<void> {
  const aggregator = new AggregatorRegistry();
  let stopping = false;
  let started = false;
  const live = new Set<number>();
  const answerMetrics = (worker: import('node:cluster').Worker, ask: MetricsAsk): void => {
    aggregator
      .clusterMetrics()
      .then((text) => worker.send({ type: 'halab.worker.metrics', n: ask.n, text }))
      .catch((err: Error) => worker.send({ type: 'halab.worker.metrics', n: ask.n, error: err.message }));
  };
  const fork = (): Promise<string> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork();
      const pid = worker.process.pid!;
      live.add(pid);
      worker.on('message', (m: ReadyMessage | MetricsAsk) => {
        if (m?.type === 'halab.worker.ready') resolve(m.url);
        else if (m?.type === 'halab.worker.metrics') answerMetrics(worker, m);
      });
      worker.once('exit', (code, signal) => {
        live.delete(pid);
        const replace = started && !stopping;
        hooks.onWorkerExit(pid, code, signal, replace);
        if (!started) reject(new Error(`worker ${pid} exited (${signal ?? code}) before listening`));
        else if (replace) void fork().catch(() => undefined);
      });
    });
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const w of Object.values(cluster.workers ?? {})) w?.process.kill('SIGKILL');
    }, 5000);
    const check = setInterval(() => {
      if (live.size > 0) return;
      clearInterval(check);
      clearTimeout(killer);
      process.exit(exitCode);
    }, 20);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  try {
    const urls = await Promise.all(Array.from({ length: workers }, fork));
    started = true;
    hooks.onReady(urls[0]!, [...live]);
  } catch (err) {
    stop();
    throw err;
  }
}

/** In a worker: tells the primary it listens at `url`. */
export function workerListening(url: string): void {
  process.send?.({ type: 'halab.worker.ready', url } satisfies ReadyMessage);
}

/**
 * In a worker: makes `registry.metrics()` answer the sum over every worker (the primary asks each
 * worker's registry and aggregates), so a scrape that lands on any worker sees the whole process.
 */
export function aggregateWorkerMetrics(registry: Registry): void {
  AggregatorRegistry.setRegistries([registry]);
  new AggregatorRegistry(); // installs the worker's answer to the primary's requests
  let n = 0;
  const waiting = new Map<number, { resolve: (text: string) => void; reject: (err: Error) => void }>();
  process.on('message', (m: { type?: string; n?: number; text?: string; error?: string }) => {
    if (m?.type !== 'halab.worker.metrics' || m.n === undefined) return;
    const w = waiting.get(m.n);
    if (!w) return;
    waiting.delete(m.n);
    if (m.error !== undefined) w.reject(new Error(m.error));
    else w.resolve(m.text ?? '');
  });
  registry.metrics = () =>
    new Promise<string>((resolve, reject) => {
      n += 1;
      waiting.set(n, { resolve, reject });
      process.send?.({ type: 'halab.worker.metrics', n } satisfies MetricsAsk);
    });
}
