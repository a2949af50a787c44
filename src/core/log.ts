// Structured logs (pino). Processes of a lab log to their own file; the CLI logs warnings to stderr.
import { pino, destination, type Logger } from 'pino';
import { realClock } from './clock.js';
import { LogCapper, logMaxBytes } from './log-cap.js';

export type { Logger };

/**
 * A logger named after its component; writes to `file` when given, else to stderr. A file is kept
 * under its size cap (HALAB_LOG_MAX_BYTES, see log-cap.ts) for the life of the process — with the
 * process's stdout/stderr, which the lab redirects into the same file.
 */
export function createLogger(name: string, file?: string, level = process.env.HALAB_LOG_LEVEL ?? 'info'): Logger {
  const dest = file ? destination({ dest: file, mkdir: true, sync: false }) : destination(2);
  if (file) new LogCapper([file], { maxBytes: logMaxBytes() }, realClock).start();
  return pino({ name, level, base: { pid: process.pid } }, dest);
}
