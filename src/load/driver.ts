// The seam between the lab and whatever generates load: a driver runs for a duration at an
// arrival rate and reports one RequestRecord per request. The built-in driver and k6 plug in here.
import type { RequestRecord } from '../record/records.js';
import type { K6Result } from './k6-exit.js';

export type DriverName = 'builtin' | 'k6';

/** A client-side fault (load.*) from the run's fault schedule: a class of misbehaving clients for a window. */
export interface ClientFault {
  readonly faultId: string;
  readonly kind: string;
  /** Start, ms after the load starts. */
  readonly atMs: number;
  /** Window length; absent: until the load ends. */
  readonly forMs?: number;
  /** The kind's parameters, defaults applied (factor, count, afterTokens, latencyMs). */
  readonly params: Readonly<Record<string, number>>;
}

export interface LoadRunOptions {
  /** Base URL of the service (the gateway or global load balancer). */
  readonly entrypoint: string;
  readonly ratePerSec: number;
  readonly arrival: 'constant' | 'poisson';
  readonly durationMs: number;
  readonly streaming: boolean;
  readonly promptTokens: number;
  readonly maxTokens: number;
  /** A request with no end after this long is recorded as timed out. */
  readonly timeoutMs: number;
  readonly model: string;
  readonly seed: number;
  readonly clientRegion?: string;
  /** Targets a driver that checks its own thresholds (k6) evaluates client-side. */
  readonly thresholds?: { readonly ttftP99Ms?: number; readonly availability?: number };
  /** k6: VUs started up front and at most (each holds one request in flight). */
  readonly preAllocatedVUs?: number;
  readonly maxVUs?: number;
  /** Whether the client can compute the expected answers (stand-ins: yes; real engines: no). Default true. */
  readonly answersKnown?: boolean;
  /** Ask for stored completions (`store: true`); ok answers then carry `storedId`. */
  readonly store?: boolean;
  /** Client-side faults the driver applies (built-in driver only). */
  readonly clientFaults?: readonly ClientFault[];
  /** Told when a client-side fault's window starts and ends (epoch ms), to record it. */
  readonly onClientFault?: (phase: 'injected' | 'healed', fault: ClientFault, atMs: number) => void;
}

export interface LoadRunSummary {
  readonly driver: DriverName;
  readonly started: number;
  readonly completed: number;
  /** Starts skipped because the in-flight cap was reached (the client, not the service, was full). */
  readonly skipped: number;
  /** Why this driver ran instead of the one asked for, if it did. */
  readonly note?: string;
  /** How k6 ended (exit code, failed thresholds), when the k6 driver ran. */
  readonly k6?: K6Result;
}

export interface LoadDriver {
  readonly name: DriverName;
  /** Said before the run starts: which binary, or why another driver runs instead. */
  readonly note?: string;
  run(opts: LoadRunOptions, onRecord: (r: RequestRecord) => void, signal: AbortSignal): Promise<LoadRunSummary>;
}
