// `halab down`, `up` and `status` on a lab directory that is not what it should be: a stale state
// file naming a pid that now belongs to an unrelated process, a user's `tail -f` of a lab log, a
// corrupt state file. Only the lab's own processes (pid and start time) are ever stopped.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { isAlive } from '../src/process/launcher.js';
import { processStartTicks, recordLaunch } from '../src/process/owned.js';
import { labPaths } from '../src/process/paths.js';
import { halab, makeHome, smallTopology } from './helpers.js';

const children: ChildProcess[] = [];

function start(cmd: string, args: readonly string[]): ChildProcess {
  const child = spawn(cmd, [...args], { stdio: 'ignore' });
  children.push(child);
  return child;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

/** A lab directory whose state file lists `processes` (as a crashed `halab up` would leave it). */
function staleLab(home: string, processes: readonly { name: string; kind: string; pid: number; startTicks?: number }[]): void {
  const paths = labPaths(home);
  mkdirSync(join(paths.labDir, 'logs'), { recursive: true });
  writeFileSync(join(paths.labDir, 'logs', 'glb.log'), 'a log line\n');
  const state = { labDir: paths.labDir, topologyFile: join(home, 't.yaml'), startedAtMs: 0, ownerPid: 1, controlPlane: '127.0.0.1:1', processes: processes.map((p) => ({ ...p, args: [] })) };
  writeFileSync(paths.stateFile, JSON.stringify(state));
}

describe('halab down stops only its own processes', () => {
  it('leaves alone an unrelated process whose pid a stale state file lists, and a tail -f of a lab log', async () => {
    const home = makeHome('halab-own-');
    const stranger = start('sleep', ['60']);
    const ticks = processStartTicks(stranger.pid!)!;
    staleLab(home, [
      // the pid was reused: the lab's glb started at another time
      { name: 'glb', kind: 'glb', pid: stranger.pid!, startTicks: ticks - 100 },
      { name: 'gateway/us-east-1', kind: 'gateway', pid: 2 ** 22 + 777, startTicks: 5 },
    ]);
    const tail = start('tail', ['-f', join(home, 'lab', 'logs', 'glb.log')]);
    await realClock.sleep(100);
    const status = await halab(home, ['status', '--json']);
    expect(status.code, status.stderr).toBe(0);
    const report = JSON.parse(status.stdout) as { dead: string[]; processes: { name: string; state: string }[] };
    expect(report.dead.sort()).toEqual(['gateway/us-east-1', 'glb']);
    expect(report.processes.find((p) => p.name === 'glb')!.state).toBe('reused');
    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toContain(`left alone: glb pid ${stranger.pid}: the pid now belongs to another process (its start time differs)`);
    expect(down.stdout).toMatch(/lab down: 0 processes stopped, 1 had already exited/);
    expect(isAlive(stranger.pid!)).toBe(true);
    expect(isAlive(tail.pid!)).toBe(true);
    expect(existsSync(join(home, 'lab'))).toBe(false);
  }, 30_000);

  it('a corrupt state file: status says so and how to fix it, up refuses while its processes run, down stops them and cleans up', async () => {
    const home = makeHome('halab-own-');
    const paths = labPaths(home);
    const ours = start('sleep', ['60']);
    recordLaunch(paths.labDir, 'replica/us-east-1/primary/0', ours.pid!);
    writeFileSync(paths.stateFile, '{"labDir": "/x", "processes": [{"name": "glb", "pi');

    const status = await halab(home, ['status']);
    expect(status.code).toBe(2);
    expect(status.stderr).toMatch(/the lab state file .*state\.json is corrupt \(.*JSON.*\); 1 of the processes it started still run: replica\/us-east-1\/primary\/0 pid \d+/);
    expect(status.stderr).toMatch(/hint: `halab down` stops the processes this lab started/);

    const up = await halab(home, ['up', smallTopology(home)]);
    expect(up.code).toBe(2);
    expect(up.stderr).toMatch(/is corrupt .* and 1 of the processes it started still run/);
    expect(up.stderr).toMatch(/hint: stop them with `halab down`, then `halab up` again/);
    expect(isAlive(ours.pid!)).toBe(true);

    const down = await halab(home, ['down']);
    expect(down.code, down.stderr).toBe(0);
    expect(down.stdout).toMatch(/is corrupt .*; stopped the processes its launch records name instead\nlab down: 1 processes stopped/);
    for (let i = 0; i < 40 && isAlive(ours.pid!); i++) await realClock.sleep(25);
    expect(isAlive(ours.pid!)).toBe(false);
    expect(existsSync(paths.labDir)).toBe(false);

    const after = await halab(home, ['status']);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/no lab is running/);
  }, 30_000);

  it('a corrupt state file whose processes are all gone: halab up says so, cleans it up and starts the lab', async () => {
    const home = makeHome('halab-own-');
    const paths = labPaths(home);
    mkdirSync(paths.labDir, { recursive: true });
    writeFileSync(paths.stateFile, 'not json at all');
    try {
      const up = await halab(home, ['up', smallTopology(home)]);
      expect(up.code, up.stderr).toBe(0);
      expect(up.stderr).toMatch(/note: the lab state file .*state\.json is corrupt \(.*\); none of its processes runs, so it is cleaned up/);
      const status = await halab(home, ['status', '--json']);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { dead: string[] }).dead).toEqual([]);
    } finally {
      await halab(home, ['down']);
    }
  }, 60_000);
});
