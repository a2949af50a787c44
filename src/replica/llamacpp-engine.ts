// One real llama.cpp `llama-server` process, owned by its sidecar agent: started on a model file on
// a free loopback port, waited for until its own /health answers 200, signalled (SIGKILL, SIGSTOP,
// SIGCONT) by faults, and read through its own /health, /metrics (llamacpp:*) and /slots.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, symlinkSync } from 'node:fs';
import { dirname } from 'node:path';
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import { HalabError, errorMessage } from '../core/errors.js';
import { freePort } from '../core/free-port.js';

export interface EngineOptions {
  readonly serverPath: string;
  readonly host: string;
  readonly threads: number;
  readonly parallel: number;
  readonly contextTokens: number;
  readonly gpuLayers: number;
  /**
   * Names the engine on its command line (`--log-file`; inside the lab directory, so an orphaned
   * engine and a lab's leftovers are found by it). llama-server writes every log line to its stderr
   * too, which goes to `<logFile>.out` (appended, size-capped by the sidecar); the `--log-file` it
   * opens without append, which copy-truncate could not cap, so that path leads to /dev/null.
   */
  readonly logFile: string;
  readonly clock: Clock;
  /** Bound on model loading (until /health answers 200). */
  readonly loadTimeoutMs?: number;
}

/** What the engine reports about itself (zeros when it does not answer). */
export interface EngineStatus {
  /** /health answered 200 within the status timeout. */
  readonly healthy: boolean;
  readonly detail: string;
  /** llamacpp:requests_processing */
  readonly running: number;
  /** llamacpp:requests_deferred */
  readonly waiting: number;
  /** Slots of /slots busy with a task. */
  readonly busySlots: number;
  readonly slots: number;
}

const DEFAULT_LOAD_TIMEOUT_MS = 60_000;
const STATUS_TIMEOUT_MS = 400;
const STOP_GRACE_MS = 2000;

/** Value of a Prometheus metric in an exposition text (first series). */
export function promValue(text: string, name: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(name) && (line[name.length] === ' ' || line[name.length] === '{')) {
      const v = Number(line.trim().split(/\s+/).at(-1));
      if (Number.isFinite(v)) return v;
    }
  }
  return undefined;
}

async function get(url: string, timeoutMs: number, clock: Clock): Promise<{ status: number; text: string }> {
  const controller = new AbortController();
  const timer = clock.setTimer(timeoutMs, () => controller.abort(new Error(`no answer within ${timeoutMs}ms`)));
  try {
    const res = await request(url, { signal: controller.signal });
    return { status: res.statusCode, text: await res.body.text() };
  } finally {
    timer.cancel();
  }
}

export class LlamaEngine {
  private child: ChildProcess | undefined;
  private port = 0;
  private exitListeners: ((code: number | null, signal: string | null, pid: number) => void)[] = [];
  /** The model file the running (or last) engine was started on. */
  modelPath = '';

  constructor(private readonly opts: EngineOptions) {
    if (!existsSync(opts.serverPath)) {
      throw new HalabError('PREREQUISITE_MISSING', `llama-server not found at ${opts.serverPath}`, 'run scripts/setup.sh (it builds llama-server), or set llamacpp.server in the topology');
    }
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Base URL of the running engine. */
  get url(): string {
    return `http://${this.opts.host}:${this.port}`;
  }

  get address(): { host: string; port: number } {
    return { host: this.opts.host, port: this.port };
  }

  /** Called when the engine process exits, whoever ended it. */
  onExit(listener: (code: number | null, signal: string | null, pid: number) => void): void {
    this.exitListeners.push(listener);
  }

  /** Starts llama-server on `modelPath` and waits until it serves; returns the load time in ms. */
  async start(modelPath: string): Promise<number> {
    if (this.alive) throw new HalabError('INTERNAL', 'the engine is already running');
    if (!existsSync(modelPath)) throw new HalabError('PREREQUISITE_MISSING', `model file ${modelPath} not found`, 'run scripts/setup.sh (it writes the tiny models), or fix llamacpp.models');
    const started = this.opts.clock.monoMs();
    this.port = await freePort(this.opts.host);
    this.modelPath = modelPath;
    const o = this.opts;
    const args = [
      '--model', modelPath, '--host', o.host, '--port', String(this.port),
      '--threads', String(o.threads), '--threads-batch', String(o.threads), '--parallel', String(o.parallel), '--ctx-size', String(o.contextTokens),
      '--n-gpu-layers', String(o.gpuLayers), '--metrics', '--slots', '--no-webui', '--no-warmup', '--log-file', o.logFile,
    ];
    mkdirSync(dirname(o.logFile), { recursive: true });
    rmSync(o.logFile, { force: true });
    symlinkSync('/dev/null', o.logFile);
    const fd = openSync(`${o.logFile}.out`, 'a');
    try {
      this.child = spawn(o.serverPath, args, { stdio: ['ignore', fd, fd] });
    } finally {
      closeSync(fd);
    }
    const child = this.child;
    child.once('exit', (code, signal) => {
      for (const l of this.exitListeners) l(code, signal, child.pid ?? 0);
    });
    const deadline = started + (o.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS);
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new HalabError('UPSTREAM_FAILED', `llama-server exited while loading ${modelPath} (${child.exitCode ?? child.signalCode}); see ${o.logFile}.out`);
      }
      try {
        if ((await get(`${this.url}/health`, STATUS_TIMEOUT_MS, o.clock)).status === 200) return o.clock.monoMs() - started;
      } catch {
        // not listening yet
      }
      if (o.clock.monoMs() > deadline) {
        this.signal('SIGKILL');
        throw new HalabError('UPSTREAM_FAILED', `llama-server did not serve ${modelPath} within ${o.loadTimeoutMs ?? DEFAULT_LOAD_TIMEOUT_MS}ms`);
      }
      await o.clock.sleep(25);
    }
  }

  /** Sends a signal to the engine process (no-op when it is not running). */
  signal(sig: NodeJS.Signals): void {
    if (this.alive) this.child!.kill(sig);
  }

  /** Ends the engine (SIGCONT first, in case it is stopped; SIGTERM; SIGKILL after a grace). */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || !this.alive) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGCONT');
    child.kill('SIGTERM');
    const timer = this.opts.clock.setTimer(STOP_GRACE_MS, () => child.kill('SIGKILL'));
    await exited;
    timer.cancel();
  }

  /** The engine's own view of itself, from /health, /metrics and /slots; never rejects. */
  async status(): Promise<EngineStatus> {
    const none = { running: 0, waiting: 0, busySlots: 0, slots: 0 };
    if (!this.alive) return { healthy: false, detail: 'engine not running', ...none };
    const clock = this.opts.clock;
    try {
      const [health, metrics, slots] = await Promise.all([
        get(`${this.url}/health`, STATUS_TIMEOUT_MS, clock),
        get(`${this.url}/metrics`, STATUS_TIMEOUT_MS, clock),
        get(`${this.url}/slots`, STATUS_TIMEOUT_MS, clock),
      ]);
      const slotList = slots.status === 200 ? (JSON.parse(slots.text) as { is_processing?: boolean }[]) : [];
      return {
        healthy: health.status === 200,
        detail: health.status === 200 ? 'ok' : `/health ${health.status}: ${health.text.slice(0, 80)}`,
        running: promValue(metrics.text, 'llamacpp:requests_processing') ?? 0,
        waiting: promValue(metrics.text, 'llamacpp:requests_deferred') ?? 0,
        busySlots: slotList.filter((s) => s.is_processing).length,
        slots: slotList.length,
      };
    } catch (err) {
      return { healthy: false, detail: `engine does not answer: ${errorMessage(err)}`, ...none };
    }
  }
}
