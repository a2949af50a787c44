// Deployments and limits on a `container: true` cluster, checked from outside with the docker CLI
// and `halab status`: the cluster's containerLimits reach Docker (NanoCpus, Memory); a replica a
// deployment restarts (its new version crashed on load, the rollback restores the old) comes back
// in a new container running the version the deployment restored, and one crashed and healed after
// a deploy runs the deployed version; blue-green's green replicas run in containers like the
// cluster's others, the blue containers are removed, and `halab down` removes the green ones.
// A bad containerLimits value exits 2 naming the file and field (no Docker needed for that).
// Skipped, with the reason, only when no Docker daemon answers or the image is missing.
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { containersUnavailable, labContainerLabel } from '../src/process/container-runtime.js';
import { halab, leftovers, makeHome } from './helpers.js';

const unavailable = await containersUnavailable();
if (unavailable) process.stderr.write(`containers-deploy.test.ts skipped: ${unavailable}\n`);

const MIB = 1024 * 1024;

interface Inspected {
  readonly id: string;
  readonly name: string;
  readonly state: string;
  readonly network: string;
  readonly nanoCpus: number;
  readonly memoryBytes: number;
  readonly args: string[];
  readonly labels: Record<string, string>;
  readonly image: string;
}

/** The lab's containers (all states) as `docker inspect` reports them, found by the lab label. */
function inspectLab(home: string): Inspected[] {
  const label = `halab.lab=${labContainerLabel(join(home, 'lab'))}`;
  const ids = spawnSync('docker', ['ps', '-a', '-q', '--filter', `label=${label}`], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean);
  if (ids.length === 0) return [];
  const out = spawnSync('docker', ['inspect', ...ids], { encoding: 'utf8' }).stdout;
  type Raw = { Id: string; Name: string; Args: string[]; State: { Status: string }; HostConfig: { NetworkMode: string; NanoCpus: number; Memory: number }; Config: { Labels: Record<string, string>; Image: string } };
  return (JSON.parse(out) as Raw[]).map((c) => ({
    id: c.Id,
    name: c.Name.replace(/^\//, ''),
    state: c.State.Status,
    network: c.HostConfig.NetworkMode,
    nanoCpus: c.HostConfig.NanoCpus,
    memoryBytes: c.HostConfig.Memory,
    args: c.Args,
    labels: c.Config.Labels,
    image: c.Config.Image,
  }));
}

function containerOf(home: string, replica: string): Inspected {
  const c = inspectLab(home).find((x) => x.labels['halab.name'] === `replica/${replica}`);
  if (!c) throw new Error(`no container for ${replica}`);
  return c;
}

/** The value after a flag in a container's arguments. */
function arg(c: Inspected, flag: string): string | undefined {
  const i = c.args.indexOf(flag);
  return i >= 0 ? c.args[i + 1] : undefined;
}

interface StatusReplica {
  id: string;
  modelVersion: string;
  healthy: boolean;
  routable: boolean;
  alive: boolean;
}

async function replicas(home: string): Promise<StatusReplica[]> {
  const r = await halab(home, ['status', '--json']);
  return (JSON.parse(r.stdout) as { replicas: StatusReplica[] }).replicas;
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 30_000): Promise<void> {
  const end = realClock.monoMs() + timeoutMs;
  while (!(await ok())) {
    if (realClock.monoMs() > end) throw new Error(`not within ${timeoutMs}ms: ${what}`);
    await realClock.sleep(250);
  }
}

function topology(home: string, limits = '{ cpus: 1, memoryMiB: 512 }'): string {
  const file = join(home, 'boxed-limits.yaml');
  writeFileSync(
    file,
    [
      'name: boxed-limits',
      'modelLoadMs: 300',
      'links: { interRegionLatencyMs: 0 }',
      'regions:',
      '  - name: us-east-1',
      '    host: 127.0.1.1',
      '    clusters:',
      `      - { name: primary, gpus: 2, container: true, containerLimits: ${limits}, minHealthyFraction: 0.4 }`,
      '',
    ].join('\n'),
  );
  return file;
}

describe('containerLimits in a topology file', () => {
  it('a bad value makes halab up exit 2 naming the file and the field, and starts nothing', async () => {
    const home = makeHome('halab-ctr-badlim-');
    const file = topology(home, '{ cpus: 0, memoryMiB: 512 }');
    const r = await halab(home, ['up', file], 30_000);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toMatch(/regions\[0\]\.clusters\[0\]\.containerLimits\.cpus/);
    const mem = await halab(home, ['up', topology(home, '{ memoryMiB: 8 }')], 30_000);
    expect(mem.code).toBe(2);
    expect(mem.stderr).toMatch(/containerLimits\.memoryMiB: at least 64 MiB/);
    expect(leftovers(home)).toEqual([]);
  }, 60_000);
});

describe.skipIf(unavailable !== undefined)('deployments and limits on container replicas (needs Docker: scripts/setup-docker.sh)', () => {
  const homes: string[] = [];
  afterAll(async () => {
    for (const home of homes) {
      await halab(home, ['down']);
      expect(inspectLab(home)).toEqual([]);
      expect(leftovers(home)).toEqual([]);
    }
  }, 60_000);

  it('limits reach Docker; a deploy restart and a crash heal run the deployed version; blue-green greens are containers and blue ones go', async () => {
    const home = makeHome('halab-ctr-dep-');
    homes.push(home);
    const up = await halab(home, ['up', topology(home)], 90_000);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    const [a, b] = ['us-east-1/primary/0', 'us-east-1/primary/1'];
    const first = inspectLab(home);
    expect(first).toHaveLength(2);
    for (const c of first) {
      expect(c.nanoCpus).toBe(1e9);
      expect(c.memoryBytes).toBe(512 * MIB);
    }
    const originalA = containerOf(home, a);
    expect(arg(originalA, '--model-version')).toBeUndefined(); // started on the topology's v1

    // rolling deploy to v2 (model loads through the agent, inside the containers)
    const v2 = await halab(home, ['deploy', 'v2', '--drain', '100ms', '--watch-time', '300ms', '--verify-timeout', '15s', '--sample-interval', '50ms'], 90_000);
    expect(v2.code, v2.stderr + v2.stdout).toBe(0);
    expect((await replicas(home)).map((r) => r.modelVersion)).toEqual(['v2', 'v2']);

    // b crashes after the deploy: its heal's new container runs v2
    expect((await halab(home, ['inject', 'replica.crash', b])).code).toBe(0);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    const healedB = containerOf(home, b);
    expect(healedB.state).toBe('running');
    expect(arg(healedB, '--model-version')).toBe('v2');
    expect(healedB.nanoCpus).toBe(1e9);
    await until('healed b routable on v2', async () => (await replicas(home)).some((r) => r.id === b && r.routable && r.modelVersion === 'v2'));

    // v3 crashes on load: a (its container made on v1) goes down, the rollback restarts it on v2
    const v3 = await halab(home, ['deploy', 'v3', '--behaviour', 'crash-on-load', '--drain', '100ms', '--watch-time', '300ms', '--verify-timeout', '15s', '--json'], 120_000);
    expect(v3.code, v3.stderr + v3.stdout).toBe(1);
    const v3Out = JSON.parse(v3.stdout) as { state: string; steps: { type: string; subject?: string }[] };
    expect(v3Out.state).toBe('rolled-back');
    expect(v3Out.steps.some((s) => s.type === 'deploy.replica-restarted' && s.subject === a)).toBe(true);
    const restartedA = containerOf(home, a);
    expect(restartedA.id).not.toBe(originalA.id);
    expect(restartedA.state).toBe('running');
    expect(restartedA.network).toBe('host');
    expect(restartedA.memoryBytes).toBe(512 * MIB);
    expect(arg(restartedA, '--model-version')).toBe('v2');
    await until('rolled-back a routable on v2', async () => (await replicas(home)).some((r) => r.id === a && r.routable && r.modelVersion === 'v2'));
    // ... and a crash of it after the rollback heals on v2 too
    expect((await halab(home, ['inject', 'replica.crash', a])).code).toBe(0);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    expect(arg(containerOf(home, a), '--model-version')).toBe('v2');
    await until('a routable on v2 after its heal', async () => (await replicas(home)).some((r) => r.id === a && r.routable && r.modelVersion === 'v2'));

    // blue-green: the greens are containers of the same image, labels, network and limits
    const image = restartedA.image;
    const bg = await halab(home, ['deploy', 'v4', '--strategy', 'blue-green', '--steps', '50,100', '--step-time', '1s', '--analysis-window', '1s', '--keep-blue', '500ms', '--drain', '1s'], 120_000);
    expect(bg.code, bg.stderr + bg.stdout).toBe(0);
    const after = inspectLab(home);
    expect(after.map((c) => c.labels['halab.name']).sort()).toEqual(['replica/us-east-1/primary/2', 'replica/us-east-1/primary/3']);
    for (const g of after) {
      expect(g.state).toBe('running');
      expect(g.network).toBe('host');
      expect(g.image).toBe(image);
      expect(g.labels['halab.lab']).toBe(labContainerLabel(join(home, 'lab')));
      expect(g.nanoCpus).toBe(1e9);
      expect(g.memoryBytes).toBe(512 * MIB);
      expect(arg(g, '--host')).toBe('127.0.1.1');
      expect(arg(g, '--model-version')).toBe('v4');
    }
    const s = await replicas(home);
    expect(s.map((x) => `${x.id}@${x.modelVersion}`).sort()).toEqual(['us-east-1/primary/2@v4', 'us-east-1/primary/3@v4']);
    expect(s.every((x) => x.alive && x.healthy)).toBe(true);

    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/2 containers removed/);
    expect(inspectLab(home)).toEqual([]);
    expect(leftovers(home)).toEqual([]);
  }, 420_000);
});
