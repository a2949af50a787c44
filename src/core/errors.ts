// Typed errors with stable codes. They become gRPC, HTTP or OpenAI error JSON only at the edges.
import { EXIT, type ExitCode } from './exit-codes.js';

export type ErrorCode =
  | 'CONFIG_INVALID'
  | 'USAGE'
  | 'UNKNOWN_FAULT'
  | 'UNKNOWN_TARGET'
  | 'LAB_NOT_RUNNING'
  | 'LAB_ALREADY_RUNNING'
  | 'LAB_START_FAILED'
  | 'REQUEST_INVALID'
  | 'OVERLOADED'
  | 'UPSTREAM_FAILED'
  | 'NOT_FOUND'
  | 'PREREQUISITE_MISSING'
  | 'INTERNAL'
  | 'STATE_CORRUPT'
  | 'BACKUP_CORRUPT'
  /** A damaged line in a record file (requests, events, readback): exit 2, the input is bad. */
  | 'RECORD_CORRUPT'
  | 'NOT_LEADER'
  /** Stopped by a signal before anything started (exit 130). */
  | 'INTERRUPTED';

export class HalabError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** What the user can do about it. */
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'HalabError';
  }

  /** CLI exit code: configuration and usage problems are badInput, anything else internal. */
  get exitCode(): ExitCode {
    if (this.code === 'INTERRUPTED') return EXIT.interrupted;
    return this.code === 'INTERNAL' || this.code === 'LAB_START_FAILED' || this.code === 'UPSTREAM_FAILED'
      ? EXIT.internal
      : EXIT.badInput;
  }
}

export class ConfigError extends HalabError {
  constructor(
    readonly file: string,
    readonly fieldPath: string,
    readonly expected: string,
  ) {
    super('CONFIG_INVALID', `${file}: ${fieldPath || '(root)'}: ${expected}`);
    this.name = 'ConfigError';
  }
}

export function isHalabError(err: unknown): err is HalabError {
  return err instanceof HalabError;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
