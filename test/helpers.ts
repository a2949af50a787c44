// Helpers for tests that run the real `halab` binary and real lab processes: a private HALAB_HOME
// per test file, a small fast topology, and a check that nothing of the lab is left behind.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { findLabProcesses } from '../src/process/reaper.js';

export const ROOT = resolve(import.meta.dirname, '..');
export const BIN = join(ROOT, 'bin', 'halab.js');

export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

export function makeHome(prefix = 'halab-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

/** Runs `halab args...` to completion with HALAB_HOME=home (bounded by timeoutMs). */
export function halab(home: string, args: readonly string[], timeoutMs = 120_000): Promise<CliResult> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home, HALAB_LOG_LEVEL: 'warn' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (b) => (stdout += b));
    child.stderr.on('data', (b) => (stderr += b));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolvePromise({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** A one-region topology small enough for a 2-core machine: 3 primary + 1 backup replicas. */
export function smallTopology(dir: string, name = 'small', modelLoadMs = 300): string {
  const file = join(dir, `${name}.yaml`);
  writeFileSync(
    file,
    [
      `name: ${name}`,
      'timeScale: 1',
      `modelLoadMs: ${modelLoadMs}`,
      'regions:',
      '  - name: us-east-1',
      '    host: 127.0.1.1',
      '    clusters:',
      '      - { name: primary, role: primary, gpus: 3 }',
      '      - { name: backup, role: backup, gpus: 1 }',
      '',
    ].join('\n'),
  );
  return file;
}

/** Lab processes still alive for this home (by their --lab-dir argument). */
export function leftovers(home: string): number[] {
  return findLabProcesses(join(home, 'lab'));
}

/** Whether something still listens on a URL's port. */
export function listening(url: string): boolean {
  const { hostname, port } = new URL(url);
  const r = spawnSync(process.execPath, ['-e', `require('net').connect(${port}, '${hostname}').on('connect', () => process.exit(0)).on('error', () => process.exit(1))`]);
  return r.status === 0;
}
