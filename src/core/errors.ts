// Typed errors with stable codes. They become gRPC, HTTP or OpenAI error JSON only at the edges.

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
  | 'NOT_LEADER';

/** Exit codes of the CLI: a fixed, documented list. */
export const EXIT = { ok: 0, targetsMissed: 1, usage: 2, internal: 3 } as const;

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

  /** CLI exit code: configuration and usage problems are 2, anything else 3. */
  get exitCode(): number {
    return this.code === 'INTERNAL' || this.code === 'LAB_START_FAILED' || this.code === 'UPSTREAM_FAILED'
      ? EXIT.internal
      : EXIT.usage;
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
