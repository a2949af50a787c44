// Structured logs (pino). Processes of a lab log to their own file; the CLI logs warnings to stderr.
import { pino, destination, type Logger } from 'pino';

export type { Logger };

/** A logger named after its component; writes to `file` when given, else to stderr. */
export function createLogger(name: string, file?: string, level = process.env.HALAB_LOG_LEVEL ?? 'info'): Logger {
  const dest = file ? destination({ dest: file, mkdir: true, sync: false }) : destination(2);
  return pino({ name, level, base: { pid: process.pid } }, dest);
}
