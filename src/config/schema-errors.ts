// Turns a zod validation failure into a ConfigError that names the file, field path and expectation.
import type { ZodError, ZodType } from 'zod';
import { ConfigError } from '../core/errors.js';

type Issue = { readonly path: readonly PropertyKey[]; readonly message: string; readonly code?: string; readonly errors?: readonly (readonly Issue[])[] };

/** The issue to report: inside a union, the branch the input came closest to (fewest issues). */
function innermost(issue: Issue, prefix: readonly PropertyKey[] = []): { path: readonly PropertyKey[]; message: string } {
  const path = [...prefix, ...issue.path];
  if (issue.code !== 'invalid_union' || !issue.errors?.length) return { path, message: issue.message };
  const closest = [...issue.errors].filter((b) => b.length > 0).sort((a, b) => a.length - b.length)[0];
  return closest ? innermost(closest[0]!, path) : { path, message: issue.message };
}

function describe(error: ZodError): { path: string; expected: string } {
  const issue = innermost(error.issues[0] as unknown as Issue);
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
