// `container: true` clusters (needs Docker and the lab image: scripts/setup-docker.sh, which .ci/run
// runs): every replica runs in its own container started by testcontainers, with host networking
// and the lab's label. Checked from outside with the docker CLI: replica.crash is a docker kill
// (the container exits), replica.hang a freeze of the whole container, both heal back into routing;
// `halab down` removes every container of the lab, also after the `halab run` that made them was
// SIGKILLed. Skipped, with the reason, only when no Docker daemon answers or the image is missing.
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { containersUnavailable, labContainerLabel } from '../src/process/container-runtime.js';
import { BIN, ROOT, halab, leftovers, makeHome } from './helpers.js';

const unavailable = await containersUnavailable();
if (unavailable) process.stderr.write(`containers.test.ts skipped: ${unavailable}\n`);

interface Seen {
  readonly name: string;
  readonly state: string;
  readonly paused: boolean;
  readonly network: string;
  readonly pid: number;
}

/** The lab's containers as `docker` sees them (by the lab label), independent of the lab's own code. */
function containersOf(home: string): Seen[] {
  const label = `halab.lab=${labContainerLabel(join(home, 'lab'))}`;
  const ids = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${label}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const out = spawnSync('docker', ['inspect', '--format', '{{.Name}} {{.State.Status}} {{.State.Paused}} {{.HostConfig.NetworkMode}} {{.State.Pid}}', ...ids], { encoding: 'utf8' }).stdout;
  return out.split('\n').filter(Boolean).map((l) => {
    const [name, state, paused, network, pid] = l.split(' ');
    return { name: name!.replace(/^\//, ''), state: state!, paused: paused === 'true', network: network!, pid: Number(pid) };
  });
}

function containerOf(home: string, replica: string): Seen {
  const c = containersOf(home).find((x) => x.name.endsWith(`-replica-${replica.replaceAll('/', '-')}`));
  if (!c) throw new Error(`no container for ${replica}`);
  return c;
}

/** State letter of a host process (T: stopped). */
function procState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = realClock.monoMs() + timeoutMs;
  while (!(await ok())) {
    if (realClock.monoMs() > end) throw new Error(`not within ${timeoutMs}ms: ${what}`);
    await realClock.sleep(250);
  }
}

function topology(home: string): string {
  const file = join(home, 'boxed.yaml');
  writeFileSync(
    file,
    ['name: boxed', 'modelLoadMs: 300', 'links: { interRegionLatencyMs: 0 }', 'regions:', '  - name: us-east-1', '    host: 127.0.1.1', '    clusters:', '      - { name: primary, gpus: 2, container: true, minHealthyFraction: 0.4 }', ''].join('\n'),
  );
  return file;
}

async function replicas(home: string): Promise<{ id: string; healthy: boolean; routable: boolean }[]> {
  const r = await halab(home, ['status', '--json']);
  return (JSON.parse(r.stdout) as { replicas: { id: string; healthy: boolean; routable: boolean }[] }).replicas;
}

describe.skipIf(unavailable !== undefined)('replicas in containers (needs Docker: scripts/setup-docker.sh)', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) {
      await halab(home, ['down']);
      expect(containersOf(home)).toEqual([]);
      expect(leftovers(home)).toEqual([]);
    }
  }, 60_000);

  it('runs each replica in a labelled host-network container; crash is docker kill, hang a freeze; both heal; down removes them', async () => {
    const home = makeHome('halab-ctr-');
    homes.push(home);
    const up = await halab(home, ['up', topology(home)], 90_000);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const boxes = containersOf(home);
    expect(boxes.map((b) => b.name).sort()).toHaveLength(2);
    for (const b of boxes) {
      expect(b.state).toBe('running');
      expect(b.network).toBe('host');
    }
    // no Docker network was made for the lab
    expect(spawnSync('docker', ['network', 'ls', '--format', '{{.Name}}'], { encoding: 'utf8' }).stdout.split('\n').filter((n) => n && !['host', 'none', 'bridge'].includes(n))).toEqual([]);

    const victim = 'us-east-1/primary/0';
    const crash = await halab(home, ['inject', 'replica.crash', victim]);
    expect(crash.code, crash.stderr).toBe(0);
    expect(containerOf(home, victim).state).toBe('exited');
    await until('crash detected', async () => (await replicas(home)).find((r) => r.id === victim)?.healthy === false, 10_000);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    expect(containerOf(home, victim).state).toBe('running');
    await until('restarted container routable', async () => (await replicas(home)).find((r) => r.id === victim)?.routable === true);

    const hang = await halab(home, ['inject', 'replica.hang', victim]);
    expect(hang.code, hang.stderr).toBe(0);
    const frozen = containerOf(home, victim);
    // docker pause, or (when the cgroup freezer gives up under load) every task SIGSTOPped
    expect(frozen.paused || procState(frozen.pid) === 'T').toBe(true);
    await until('hang detected', async () => (await replicas(home)).find((r) => r.id === victim)?.healthy === false, 15_000);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    const thawed = containerOf(home, victim);
    expect(thawed.paused).toBe(false);
    expect(procState(thawed.pid)).not.toBe('T');
    await until('thawed container routable', async () => (await replicas(home)).find((r) => r.id === victim)?.routable === true);

    const down = await halab(home, ['down']);
    expect(down.stdout).toMatch(/2 containers removed/);
    expect(containersOf(home)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
  }, 240_000);

  it('refuses to start without the image, naming it and the way out (exit 2), and leaves nothing behind', async () => {
    const home = makeHome('halab-ctr-noimg-');
    homes.push(home);
    process.env.HALAB_REPLICA_IMAGE = 'halab-replica:not-built';
    let r;
    try {
      r = await halab(home, ['up', topology(home)], 60_000);
    } finally {
      delete process.env.HALAB_REPLICA_IMAGE;
    }
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/2 replicas of this topology run in containers \(container: true\), but the image halab-replica:not-built is not built/);
    expect(r.stderr).toMatch(/scripts\/setup-docker.sh/);
    expect(containersOf(home)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
  }, 90_000);

  it('halab down removes the containers of a SIGKILLed halab run', async () => {
    const home = makeHome('halab-ctr-kill-');
    homes.push(home);
    const scenario = join(home, 'boxed-run.yaml');
    writeFileSync(scenario, [`name: boxed-run`, `topology: ${topology(home)}`, 'duration: 120s', 'load: { ratePerSec: 2 }', ''].join('\n'));
    const child = spawn(process.execPath, [BIN, 'run', scenario, '--out', join(home, 'run')], { cwd: ROOT, env: { ...process.env, HALAB_HOME: home, HALAB_LOG_LEVEL: 'warn' }, stdio: 'ignore' });
    try {
      await until('both containers running', () => containersOf(home).filter((c) => c.state === 'running').length === 2, 90_000);
    } finally {
      child.kill('SIGKILL');
    }
    await new Promise((r) => child.once('exit', r));
    expect(containersOf(home).length).toBe(2);
    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(containersOf(home)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
  }, 150_000);
});
