// HAProxy as the reference proxy of the entry-path benchmark: Debian's `haproxy`, leastconn over
// the given replicas with `option http-no-delay` (each SSE chunk forwarded at once), bound to an
// ephemeral port on 127.0.0.1, run in the foreground so the caller owns (and kills) its pid.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { request } from 'undici';

export interface RunningHaproxy {
  readonly url: string;
  readonly pid: number;
  readonly version: string;
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (HAProxy cannot report an ephemeral port it bound itself). */
async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export function haproxyConfig(port: number, servers: readonly string[]): string {
  return [
    'global',
    '  maxconn 4096',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 60s',
    '  timeout server 60s',
    '  option http-no-delay',
    'frontend entry',
    `  bind 127.0.0.1:${port}`,
    '  default_backend replicas',
    'backend replicas',
    '  balance leastconn',
    ...servers.map((s, i) => `  server r${i} ${new URL(s).host}`),
    '',
  ].join('\n');
}

/** Starts HAProxy over `servers` (base URLs); throws naming the cause when it is not installed or does not come up. */
export async function startHaproxy(dir: string, servers: readonly string[]): Promise<RunningHaproxy> {
  const probe = spawnSync('haproxy', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) throw new Error('haproxy is not installed (scripts/setup.sh installs Debian\'s haproxy)');
  const version = /HAProxy version (\S+)/.exec(probe.stdout)?.[1] ?? 'unknown';
  const port = await freePort();
  const cfg = join(dir, 'haproxy.cfg');
  writeFileSync(cfg, haproxyConfig(port, servers));
  const child: ChildProcess = spawn('haproxy', ['-db', '-f', cfg], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (b: Buffer) => (stderr = (stderr + b.toString()).slice(-2000)));
  const stop = async (): Promise<void> => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
    await exited;
    clearTimeout(timer);
  };
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    if (child.exitCode !== null) throw new Error(`haproxy exited (${child.exitCode}): ${stderr.trim()}`);
    try {
      const res = await request(`${url}/v1/models`);
      await res.body.text();
      return { url, pid: child.pid!, version, stop };
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  await stop();
  throw new Error(`haproxy did not answer on ${url} within 5 s: ${stderr.trim()}`);
}
