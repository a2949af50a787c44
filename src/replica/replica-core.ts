// The state of one stand-in replica shared by its HTTP API and its agent: the engine, the loaded
// model version (and how a bad version misbehaves), fault modes, drain, and request counters.
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Rng } from '../core/rng.js';
import { Engine } from './engine.js';
import { FaultState } from './faults.js';
import type { EngineProfile } from './profiles.js';
import { corruptVersion } from './tokens.js';

/** How a model version behaves once loaded; anything but `ok` is a bad version for deploy tests. */
export type ModelBehaviour = 'ok' | 'crash-on-load' | 'slow' | 'corrupt' | 'error-rate';
export const MODEL_BEHAVIOURS: readonly ModelBehaviour[] = ['ok', 'crash-on-load', 'slow', 'corrupt', 'error-rate'];

/** Decode slow-down of a `slow` version; error share of an `error-rate` version. */
const SLOW_VERSION_FACTOR = 3;
const ERROR_VERSION_PROBABILITY = 0.2;

export interface ReplicaCoreOptions {
  readonly id: string;
  readonly modelName: string;
  readonly modelVersion: string;
  readonly profile: EngineProfile;
  readonly clock: Clock;
  readonly rng: Rng;
  readonly events: EventSink;
  /** Called when the process must die (crash fault, crash-on-load version). */
  readonly exit: (code: number) => void;
}

export class ReplicaCore {
  readonly engine: Engine;
  readonly faults: FaultState;
  version: string;
  behaviour: ModelBehaviour = 'ok';
  loaded = false;
  draining = false;
  inFlight = 0;
  requestsTotal = 0;
  errorsTotal = 0;
  private readonly idleWaiters = new Set<() => void>();
  private loading: Promise<unknown> | undefined;

  constructor(readonly opts: ReplicaCoreOptions) {
    this.version = opts.modelVersion;
    this.faults = new FaultState(opts.rng.fork('faults'));
    this.engine = new Engine(opts.profile, opts.clock, () => this.slowFactor());
  }

  slowFactor(): number {
    return this.faults.slowFactor() * (this.behaviour === 'slow' ? SLOW_VERSION_FACTOR : 1);
  }

  /** The version whose tokens this replica produces (a corrupt model produces others). */
  tokenVersion(): string {
    return this.faults.corrupt() || this.behaviour === 'corrupt' ? corruptVersion(this.version) : this.version;
  }

  /** Whether this request fails with a 500 (error-rate fault or an error-prone version). */
  drawError(): boolean {
    return this.faults.drawError() || (this.behaviour === 'error-rate' && this.opts.rng.next() < ERROR_VERSION_PROBABILITY);
  }

  /** Loads a model version: unavailable for the profile's load time. */
  async loadModel(version: string, behaviour: ModelBehaviour = 'ok'): Promise<{ loaded: boolean; loadMs: number; error?: string }> {
    if (this.loading) await this.loading.catch(() => undefined);
    const started = this.opts.clock.monoMs();
    this.loaded = false;
    this.opts.events.emit('model.loading', this.opts.id, undefined, { version, behaviour });
    this.loading = this.opts.clock.sleep(this.opts.profile.modelLoadMs);
    await this.loading;
    this.loading = undefined;
    if (behaviour === 'crash-on-load') {
      this.opts.events.emit('model.crashed', this.opts.id, `version ${version} crashed while loading`, { version });
      this.opts.exit(134);
      return { loaded: false, loadMs: this.opts.clock.monoMs() - started, error: `version ${version} crashed while loading` };
    }
    this.version = version;
    this.behaviour = behaviour;
    this.loaded = true;
    const loadMs = this.opts.clock.monoMs() - started;
    this.opts.events.emit('model.loaded', this.opts.id, undefined, { version, behaviour, loadMs });
    return { loaded: true, loadMs };
  }

  begin(): void {
    this.inFlight += 1;
    this.requestsTotal += 1;
  }

  end(failed: boolean): void {
    this.inFlight -= 1;
    if (failed) this.errorsTotal += 1;
    if (this.inFlight === 0) for (const w of [...this.idleWaiters]) w();
  }

  /** Stops admitting and waits until nothing is in flight, up to timeoutMs. */
  async drain(timeoutMs: number): Promise<{ inFlight: number; drained: boolean; waitedMs: number }> {
    const started = this.opts.clock.monoMs();
    this.draining = true;
    this.opts.events.emit('drain.started', this.opts.id, undefined, { inFlight: this.inFlight, timeoutMs });
    if (this.inFlight > 0) {
      await new Promise<void>((resolve) => {
        const timer = this.opts.clock.setTimer(timeoutMs, done);
        function done(): void {
          timer.cancel();
          waiters.delete(done);
          resolve();
        }
        const waiters = this.idleWaiters;
        waiters.add(done);
      });
    }
    const result = { inFlight: this.inFlight, drained: this.inFlight === 0, waitedMs: this.opts.clock.monoMs() - started };
    this.opts.events.emit('drain.finished', this.opts.id, undefined, result);
    return result;
  }

  undrain(): void {
    this.draining = false;
  }
}
