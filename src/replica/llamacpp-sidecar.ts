// The sidecar of one real llama.cpp replica: owns its llama-server (LlamaEngine) and the TCP proxy
// that is the replica's HTTP address, keeps it registered with the control plane while the engine
// lives, and applies faults to the real process: SIGKILL (crash), SIGSTOP until heal (hang),
// duty-cycled SIGSTOP/SIGCONT (slow), cuts at the connection (stream-cut), a restart on a model
// with other weights (model.corrupt). Model loads (deployments) restart the engine on that
// version's file. Like a kubelet, it reports the engine's exit at once: its registration ends.
import type { Clock, TimerHandle } from '../core/clock.js';
import { HalabError, errorMessage } from '../core/errors.js';
import type { Logger } from '../core/log.js';
import type { EventSink } from '../record/events.js';
import type { LlamacppConfig } from '../config/topology-llamacpp.js';
import { LlamaEngine, type EngineStatus } from './llamacpp-engine.js';
import { LinkCutProxy } from './link-cut-proxy.js';
import { Registration } from './registration.js';

export interface SidecarOptions {
  readonly id: string;
  readonly region: string;
  readonly cluster: string;
  readonly host: string;
  readonly modelVersion: string;
  readonly engine: LlamacppConfig;
  readonly engineLogFile: string;
  readonly clock: Clock;
  readonly events: EventSink;
  readonly log: Logger;
  readonly controlPlane?: string;
}

export interface SidecarFault {
  readonly id: string;
  readonly kind: string;
  readonly factor: number;
  readonly probability: number;
  readonly afterTokens: number;
}

/** Faults a real CPU engine can have, and why the others cannot be injected. */
export const LLAMACPP_FAULT_KINDS = ['replica.crash', 'replica.hang', 'replica.slow', 'replica.stream-cut', 'model.corrupt'] as const;

const STATUS_INTERVAL_MS = 200;
const RESTART_AFTER_EXIT_MS = 1000;

export class LlamacppSidecar {
  readonly engine: LlamaEngine;
  readonly proxy: LinkCutProxy;
  version: string;
  draining = false;
  /** A model load (or restart) is in progress: the engine's exit is expected. */
  private restarting = false;
  private readonly faults = new Map<string, SidecarFault>();
  private lastStatus: EngineStatus = { healthy: false, detail: 'starting', running: 0, waiting: 0, busySlots: 0, slots: 0 };
  private registration: Registration | undefined;
  private poller: TimerHandle | undefined;
  private slowTimer: TimerHandle | undefined;
  private closed = false;
  agentAddress = '';

  constructor(private readonly opts: SidecarOptions) {
    this.version = opts.modelVersion;
    this.engine = new LlamaEngine({
      serverPath: opts.engine.serverPath,
      host: opts.host,
      threads: opts.engine.threads,
      parallel: opts.engine.parallel,
      contextTokens: opts.engine.contextTokens,
      gpuLayers: opts.engine.gpuLayers,
      logFile: opts.engineLogFile,
      clock: opts.clock,
    });
    this.proxy = new LinkCutProxy(opts.host, undefined);
    this.engine.onExit((code, signal, pid) => this.engineExited(code, signal, pid));
  }

  get httpUrl(): string {
    return this.proxy.url;
  }

  /** Registration reads the version and these counters for its heartbeats. */
  readonly statsSource = { stats: (): { running: number; waiting: number } => ({ running: this.lastStatus.running, waiting: this.lastStatus.waiting }) };

  get status(): EngineStatus {
    return this.lastStatus;
  }

  get loaded(): boolean {
    return this.engine.alive && !this.restarting && this.lastStatus.healthy;
  }

  activeFaults(): SidecarFault[] {
    return [...this.faults.values()];
  }

  /** Binds the proxy; the engine is started by start(). */
  async listen(): Promise<void> {
    await this.proxy.listen();
  }

  /** Starts the engine on the version's model and registers once it serves. */
  async start(agentAddress: string): Promise<void> {
    this.agentAddress = agentAddress;
    this.poll();
    await this.loadModel(this.version, 'ok');
  }

  private modelFile(version: string, behaviour: string): string {
    if (behaviour === 'corrupt') return this.opts.engine.corruptModel;
    const file = this.opts.engine.models[version];
    if (!file) throw new HalabError('USAGE', `no model file for version "${version}" in llamacpp.models (known: ${Object.keys(this.opts.engine.models).join(', ')})`);
    return file;
  }

  /**
   * Restarts the engine on `version`'s model file (what a deployment does: the caller drained the
   * replica first). Behaviours: ok, or corrupt (the file with other weights). Returns the load time.
   */
  async loadModel(version: string, behaviour: string): Promise<{ loaded: boolean; loadMs: number; error?: string }> {
    if (behaviour !== 'ok' && behaviour !== 'corrupt') {
      return { loaded: false, loadMs: 0, error: `behaviour "${behaviour}" is a stand-in behaviour; a llama.cpp replica loads ok or corrupt models` };
    }
    const started = this.opts.clock.monoMs();
    let file: string;
    try {
      file = this.modelFile(version, behaviour);
    } catch (err) {
      return { loaded: false, loadMs: 0, error: errorMessage(err) };
    }
    this.opts.events.emit('model.loading', this.opts.id, undefined, { version, behaviour, inFlight: this.lastStatus.running });
    this.restarting = true;
    try {
      this.stopSlow();
      await this.engine.stop();
      this.proxy.setTarget(undefined);
      const engineLoadMs = await this.engine.start(file);
      this.proxy.setTarget(this.engine.address);
      this.opts.events.emit('engine.started', this.opts.id, undefined, { pid: this.engine.pid ?? 0, model: file, loadMs: engineLoadMs });
      if (behaviour === 'ok') this.version = version;
      this.lastStatus = await this.engine.status();
      this.reapplyFaults();
    } catch (err) {
      this.restarting = false;
      this.opts.log.error({ err: errorMessage(err) }, 'engine failed to start');
      return { loaded: false, loadMs: this.opts.clock.monoMs() - started, error: errorMessage(err) };
    }
    this.restarting = false;
    const loadMs = this.opts.clock.monoMs() - started;
    this.opts.events.emit('model.loaded', this.opts.id, undefined, { version, behaviour, loadMs });
    this.register();
    return { loaded: true, loadMs };
  }

  private register(): void {
    if (this.registration || !this.opts.controlPlane || this.closed) return;
    const version = (): string => this.version;
    const source = {
      get version(): string {
        return version();
      },
      engine: this.statsSource,
    };
    this.registration = new Registration(
      this.opts.controlPlane,
      { replicaId: this.opts.id, region: this.opts.region, cluster: this.opts.cluster, httpUrl: this.proxy.url, agentAddress: this.agentAddress },
      source,
      this.opts.clock,
      this.opts.log,
    );
    this.registration.start();
  }

  private deregister(): void {
    this.registration?.close();
    this.registration = undefined;
  }

  private engineExited(code: number | null, signal: string | null, pid: number): void {
    const expected = this.restarting || this.closed;
    this.opts.events.emit('engine.exited', this.opts.id, undefined, { pid, code, signal, expected });
    if (expected) return;
    this.lastStatus = { healthy: false, detail: `engine exited (${code ?? signal})`, running: 0, waiting: 0, busySlots: 0, slots: 0 };
    this.proxy.setTarget(undefined);
    this.proxy.cutAll();
    this.stopSlow();
    this.deregister();
    // a crash fault keeps it down until healed; any other exit is restarted like a supervisor would
    if (![...this.faults.values()].some((f) => f.kind === 'replica.crash')) {
      this.opts.clock.setTimer(RESTART_AFTER_EXIT_MS, () => {
        if (!this.closed && !this.engine.alive && !this.restarting) void this.loadModel(this.version, 'ok');
      });
    }
  }

  private poll(): void {
    if (this.closed) return;
    void this.engine.status().then((s) => {
      if (!this.restarting) this.lastStatus = s;
      this.poller = this.opts.clock.setTimer(STATUS_INTERVAL_MS, () => this.poll());
    });
  }

  inject(kind: string, id: string, params: { factor: number; probability: number; afterTokens: number }): SidecarFault {
    if (!(LLAMACPP_FAULT_KINDS as readonly string[]).includes(kind)) {
      throw new HalabError('USAGE', `${kind} cannot be injected into a llama.cpp replica on the CPU; it takes ${LLAMACPP_FAULT_KINDS.join(', ')}`);
    }
    const fault: SidecarFault = { id, kind, factor: params.factor || (kind === 'replica.slow' ? 5 : 0), probability: params.probability, afterTokens: params.afterTokens || 8 };
    this.faults.set(id, fault);
    this.apply(fault);
    return fault;
  }

  private apply(fault: SidecarFault): void {
    switch (fault.kind) {
      case 'replica.crash':
        this.engine.signal('SIGKILL');
        break;
      case 'replica.hang':
        this.engine.signal('SIGSTOP');
        break;
      case 'replica.slow':
        this.startSlow(fault.factor);
        break;
      case 'replica.stream-cut':
        this.proxy.cutAfterEvents = fault.afterTokens;
        break;
      case 'model.corrupt':
        void this.loadModel(this.version, 'corrupt');
        break;
    }
  }

  /** After a restart, the faults that act on the running process act on the new one too. */
  private reapplyFaults(): void {
    for (const f of this.faults.values()) if (f.kind === 'replica.hang' || f.kind === 'replica.slow') this.apply(f);
  }

  /** Clears one fault (empty id: all) and undoes its effect on the engine. */
  clear(id: string): boolean {
    const cleared = id ? [this.faults.get(id)].filter((f): f is SidecarFault => f !== undefined) : [...this.faults.values()];
    for (const f of cleared) this.faults.delete(f.id);
    for (const f of cleared) {
      switch (f.kind) {
        case 'replica.crash':
          if (!this.engine.alive && !this.restarting) void this.loadModel(this.version, 'ok');
          break;
        case 'replica.hang':
          if (!this.hasFault('replica.hang')) this.engine.signal('SIGCONT');
          break;
        case 'replica.slow':
          if (!this.hasFault('replica.slow')) this.stopSlow();
          break;
        case 'replica.stream-cut':
          if (!this.hasFault('replica.stream-cut')) this.proxy.cutAfterEvents = undefined;
          break;
        case 'model.corrupt':
          if (!this.hasFault('model.corrupt')) void this.loadModel(this.version, 'ok');
          break;
      }
    }
    return cleared.length > 0;
  }

  private hasFault(kind: string): boolean {
    return [...this.faults.values()].some((f) => f.kind === kind);
  }

  /** replica.slow: the engine runs 1/factor of each period and is stopped for the rest. */
  private startSlow(factor: number): void {
    this.stopSlow();
    const periodMs = this.opts.engine.slowPeriodMs;
    const runMs = Math.max(1, Math.round(periodMs / Math.max(1, factor)));
    const cycle = (): void => {
      this.engine.signal('SIGCONT');
      this.slowTimer = this.opts.clock.setTimer(runMs, () => {
        if (!this.hasFault('replica.hang')) this.engine.signal('SIGSTOP');
        this.slowTimer = this.opts.clock.setTimer(periodMs - runMs, cycle);
      });
    };
    cycle();
  }

  private stopSlow(): void {
    if (!this.slowTimer) return;
    this.slowTimer.cancel();
    this.slowTimer = undefined;
    if (!this.hasFault('replica.hang')) this.engine.signal('SIGCONT');
  }

  /** Stops admitting new connections and waits until the engine has nothing in flight. */
  async drain(timeoutMs: number): Promise<{ inFlight: number; drained: boolean; waitedMs: number }> {
    const started = this.opts.clock.monoMs();
    this.draining = true;
    this.proxy.refuseNew = true;
    this.opts.events.emit('drain.started', this.opts.id, undefined, { inFlight: this.lastStatus.running, timeoutMs });
    let s = await this.engine.status();
    while (s.running + s.waiting + s.busySlots > 0 && this.opts.clock.monoMs() - started < timeoutMs) {
      await this.opts.clock.sleep(50);
      s = await this.engine.status();
    }
    const inFlight = s.running + s.waiting;
    const result = { inFlight, drained: inFlight === 0, waitedMs: this.opts.clock.monoMs() - started };
    this.opts.events.emit('drain.finished', this.opts.id, undefined, result);
    return result;
  }

  undrain(): void {
    this.draining = false;
    this.proxy.refuseNew = false;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.poller?.cancel();
    this.stopSlow();
    this.deregister();
    await this.proxy.close();
    await this.engine.stop();
  }
}
