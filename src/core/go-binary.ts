// Finding a program that scripts/setup.sh installed with `go install` (k6, toxiproxy-server): the
// override variable when set (and only there), else go install's bin directories ($GOBIN,
// $GOPATH/bin, ~/go/bin) and then $PATH.
import { accessSync, constants, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { delimiter, join } from 'node:path';

export interface BinaryLocation {
  /** Absolute path of an executable, when one was found. */
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

/** Candidate paths of `name`, in the order they are tried. */
export function goBinaryCandidates(name: string, env: NodeJS.ProcessEnv): string[] {
  const dirs = [
    env.GOBIN,
    ...(env.GOPATH ?? '').split(delimiter).filter(Boolean).map((p) => join(p, 'bin')),
    join(env.HOME ?? homedir(), 'go', 'bin'),
    ...(env.PATH ?? '').split(delimiter).filter(Boolean),
  ].filter((d): d is string => !!d);
  return [...new Set(dirs.map((d) => join(d, name)))];
}

/** Looks for `name`; `overrideVar` names the variable that pins its path, `hint` how to install it. */
export function findGoBinary(name: string, overrideVar: string, hint: string, env: NodeJS.ProcessEnv): BinaryLocation {
  const pinned = env[overrideVar];
  if (pinned) return executable(pinned) ? { path: pinned } : { reason: `${overrideVar}=${pinned} is not an executable file` };
  const candidates = goBinaryCandidates(name, env);
  const found = candidates.find(executable);
  return found ? { path: found } : { reason: `no ${name} in ${candidates.join(', ')} (${hint}; or set ${overrideVar})` };
}
