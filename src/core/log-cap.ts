// Size caps for log files: copy-truncate rotation. A capped file is checked every intervalMs; once
// past maxBytes it is copied to `<file>.1` (older copies shift to .2 … .keep) and truncated in
// place, so every writer that opened it for appending (a process's own logger, the stdout/stderr
// the lab redirected into it, a helper binary's output) goes on writing at its new start, with no
// reopen. A live file holds at most maxBytes plus what is written in one interval; a component's
// logs on disk at most (keep + 1) × that. Lines written between the copy and the truncation are lost
// (a few ms of output, once per rotation).
import { copyFileSync, existsSync, renameSync, statSync, truncateSync } from 'node:fs';
import type { Clock, TimerHandle } from './clock.js';

/** Default cap of one live log file (HALAB_LOG_MAX_BYTES overrides it lab-wide). */
export const DEFAULT_LOG_MAX_BYTES = 8 * 1024 * 1024;
/** Smallest cap accepted: below it a rotation would be most of the log. */
export const MIN_LOG_MAX_BYTES = 4096;
/** Rotated copies kept beside the live file. */
export const DEFAULT_LOG_KEEP = 1;
export const LOG_CHECK_INTERVAL_MS = 1000;

/** The lab-wide cap from HALAB_LOG_MAX_BYTES (bytes), or the default; a bad value is an error naming it. */
export function logMaxBytes(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.HALAB_LOG_MAX_BYTES;
  if (text === undefined || text === '') return DEFAULT_LOG_MAX_BYTES;
  const n = Number(text);
  if (!Number.isInteger(n) || n < MIN_LOG_MAX_BYTES) throw new Error(`HALAB_LOG_MAX_BYTES must be a whole number of bytes >= ${MIN_LOG_MAX_BYTES}, got "${text}"`);
  return n;
}

/** Rotates `file` when it is larger than maxBytes; returns whether it did. A missing file is fine. */
export function capLogFile(file: string, maxBytes: number, keep = DEFAULT_LOG_KEEP): boolean {
  const size = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
  if (size <= maxBytes) return false;
  for (let i = keep - 1; i >= 1; i--) if (existsSync(`${file}.${i}`)) renameSync(`${file}.${i}`, `${file}.${i + 1}`);
  if (keep >= 1) copyFileSync(file, `${file}.1`);
  truncateSync(file, 0);
  return true;
}

export interface LogCapOptions {
  readonly maxBytes: number;
  readonly keep?: number;
  readonly intervalMs?: number;
  /** Called after each rotation (the file and its size before). */
  readonly onRotate?: (file: string) => void;
}

/** Keeps a set of log files under their cap until stopped. */
export class LogCapper {
  private timer: TimerHandle | undefined;
  private stopped = false;
  rotations = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly opts: LogCapOptions,
    private readonly clock: Clock,
  ) {}

  /** Checks every file once; returns how many were rotated. I/O errors are ignored (the next check retries). */
  check(): number {
    let rotated = 0;
    for (const file of this.files) {
      try {
        if (capLogFile(file, this.opts.maxBytes, this.opts.keep ?? DEFAULT_LOG_KEEP)) {
          rotated += 1;
          this.opts.onRotate?.(file);
        }
      } catch {
        // a file being removed (halab down) or not yet created: try again next time
      }
    }
    this.rotations += rotated;
    return rotated;
  }

  start(): this {
    const tick = (): void => {
      if (this.stopped) return;
      this.check();
      this.timer = this.clock.setTimer(this.opts.intervalMs ?? LOG_CHECK_INTERVAL_MS, tick);
    };
    tick();
    return this;
  }

  stop(): void {
    this.stopped = true;
    this.timer?.cancel();
  }
}
