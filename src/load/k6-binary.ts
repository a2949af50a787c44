// Where the k6 binary is: $HALAB_K6 when set (and only there), else `go install`'s bin directories
// ($GOBIN, $GOPATH/bin, ~/go/bin) and then $PATH. scripts/setup.sh installs it with go install.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface K6Location {
  /** Absolute path of an executable k6, when one was found. */
  readonly path?: string;
  /** Why none was found: the places looked at. */
  readonly reason?: string;
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Candidate paths of k6, in the order they are tried. */
export function k6Candidates(env: NodeJS.ProcessEnv): string[] {
  const dirs = [
    env.GOBIN,
    ...(env.GOPATH ?? '').split(delimiter).filter(Boolean).map((p) => join(p, 'bin')),
    join(env.HOME ?? homedir(), 'go', 'bin'),
    ...(env.PATH ?? '').split(delimiter).filter(Boolean),
  ].filter((d): d is string => !!d);
  return [...new Set(dirs.map((d) => join(d, 'k6')))];
}

export function findK6(env: NodeJS.ProcessEnv = process.env): K6Location {
  if (env.HALAB_K6 !== undefined && env.HALAB_K6 !== '') {
    return executable(env.HALAB_K6) ? { path: env.HALAB_K6 } : { reason: `HALAB_K6=${env.HALAB_K6} is not an executable file` };
  }
  const candidates = k6Candidates(env);
  const found = candidates.find(executable);
  return found ? { path: found } : { reason: `no k6 in ${candidates.join(', ')} (scripts/setup.sh installs it; or set HALAB_K6)` };
}
