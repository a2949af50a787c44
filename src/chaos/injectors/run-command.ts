// Faults on external services, applied through commands the user configures in the topology
// (stop a container or a systemd unit, delete a pod, DCGM error injection...). Each runs under a
// timeout; its output is kept for the record.
import { execFile } from 'node:child_process';
import { HalabError } from '../../core/errors.js';
import { parseTarget } from '../../core/ids.js';
import { AUTH_HEADER, currentLabAuth, type LabAuth } from '../../protocol/lab-auth.js';
import { cliLabAuth } from '../../process/lab-secret.js';

export interface CommandResult {
  readonly command: string;
  readonly exitCode: number;
  readonly output: string;
}

/** Substitutes {target} {region} {cluster} {index} (and {url}, for an external endpoint) in a command template. */
export function renderCommand(template: string, target: string, url = ''): string {
  const ref = parseTarget(target);
  const vars: Record<string, string> = {
    target,
    region: ref?.region ?? '',
    cluster: ref && ref.kind !== 'region' ? ref.cluster : '',
    index: ref?.kind === 'replica' ? String(ref.index) : '',
    url,
  };
  return template.replace(/\{(target|region|cluster|index|url)\}/g, (_, k: string) => vars[k]!);
}

/**
 * The environment variable a fault command finds the lab's credentials in, as a whole HTTP header
 * line (`x-halab-auth: <token>`), for `curl -H "$HALAB_AUTH_HEADER"` against an authenticated API
 * (a misbehaving-upstream stand-in's /admin/*). Outside a lab it holds a harmless header.
 */
export const AUTH_HEADER_ENV = 'HALAB_AUTH_HEADER';

/** The environment of a fault command of the lab at `labDir` (its credentials as the CLI's), else this process's. */
export function commandEnv(labDir?: string): NodeJS.ProcessEnv {
  const auth: LabAuth | undefined = (labDir ? cliLabAuth(labDir)() : undefined) ?? currentLabAuth();
  return { ...process.env, [AUTH_HEADER_ENV]: auth ? `${AUTH_HEADER}: ${auth.token}` : 'x-halab-no-auth: 1' };
}

/** Runs a command with /bin/sh under a timeout (with $HALAB_AUTH_HEADER for the lab at labDir); rejects with its output when it fails. */
export function runCommand(command: string, timeoutMs: number, labDir?: string): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', command], { timeout: timeoutMs, maxBuffer: 1 << 20, env: commandEnv(labDir) }, (err, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim().slice(0, 4000);
      if (err) {
        const why = (err as NodeJS.ErrnoException & { killed?: boolean }).killed ? `timed out after ${timeoutMs}ms` : `exited ${(err as { code?: number }).code ?? '?'}`;
        reject(new HalabError('UPSTREAM_FAILED', `fault command \`${command}\` ${why}${output ? `: ${output}` : ''}`));
        return;
      }
      resolve({ command, exitCode: 0, output });
    });
  });
}
