// Turns a zod validation failure into a ConfigError that names the file, field path and expectation.
import type { ZodError, ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';

function describe(error: ZodError): { path: string; expected: string } {
  const issue = error.issues[0]!;
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
  return { path, expected: issue.message };
}

/** Validates data against a schema or throws ConfigError(file, path, expected). */
export function parseWith<T>(schema: ZodType<T>, data: unknown, file: string): T {
  const result = schema.safeParse(data);
  if (result.success) return result.data;
  const { path, expected } = describe(result.error);
  throw new ConfigError(file, path, expected);
}
