import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../core/clock.js';
import { surveyLab } from './lab-processes.js';
import { readLabState, writeLabState, type LabState } from './lab-state.js';
import { cpuSecondsUsed, liveness, processStartTicks, readLaunches, recordLaunch, ticksToEpochMs } from './owned.js';
import { labPaths } from './paths.js';
import { terminateOwned } from './reaper.js';

const children: ChildProcess[] = [];

function sleeper(): number {
  const child = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(child);
  return child.pid!;
}

afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
});

describe('process ownership by pid and start time', () => {
  it('reads a live process start time and turns it into wall-clock time', () => {
    const ticks = processStartTicks(process.pid);
    expect(ticks).toBeGreaterThan(0);
    const ms = ticksToEpochMs(ticks!)!;
    expect(Math.abs(ms - realClock.nowMs())).toBeLessThan(24 * 3_600_000 * 365);
    expect(processStartTicks(0)).toBeUndefined();
    expect(processStartTicks(2 ** 22 + 12345)).toBeUndefined();
  });

  it('a recorded process is alive; the same pid with another start time is someone else', () => {
    const pid = sleeper();
    const dir = mkdtempSync(join(tmpdir(), 'halab-own-'));
    const rec = recordLaunch(dir, 'replica/a/b/0', pid);
    expect(liveness(rec)).toBe('alive');
    expect(liveness({ pid, startTicks: rec.startTicks! - 1 })).toBe('reused');
    expect(liveness({ pid })).toBe('unverified');
    expect(readLaunches(dir)).toEqual([rec]);
  });

  it('terminateOwned never signals a pid whose start time differs, and stops the one that matches', async () => {
    const stranger = sleeper();
    const mine = sleeper();
    await terminateOwned([{ pid: stranger, startTicks: processStartTicks(stranger)! + 7 }, { pid: mine, startTicks: processStartTicks(mine)! }], realClock, 2000);
    expect(liveness({ pid: stranger, startTicks: processStartTicks(stranger)! })).toBe('alive');
    expect(liveness({ pid: mine, startTicks: 0 })).toBe('dead');
  });

  it('a torn ledger line is skipped; a corrupt state file is reported while the ledger still finds the processes', () => {
    const home = mkdtempSync(join(tmpdir(), 'halab-own-'));
    const paths = labPaths(home);
    const pid = sleeper();
    recordLaunch(paths.labDir, 'glb', pid);
    writeFileSync(join(paths.labDir, 'procs', 'launched.ndjson'), '{"name":"x","pi', { flag: 'a' });
    mkdirSync(paths.labDir, { recursive: true });
    writeFileSync(paths.stateFile, '{"labDir": "x", "processes": [');
    expect(() => readLabState(paths)).toThrow(/lab state file .*state\.json is corrupt/);
    const survey = surveyLab(paths);
    expect(survey.corrupt?.code).toBe('STATE_CORRUPT');
    expect(survey.processes).toMatchObject([{ name: 'glb', pid, liveness: 'alive', current: true }]);
  });

  it('the state file takes each process start time from the ledger', () => {
    const home = mkdtempSync(join(tmpdir(), 'halab-own-'));
    const paths = labPaths(home);
    const pid = sleeper();
    const rec = recordLaunch(paths.labDir, 'glb', pid);
    const state: LabState = { labDir: paths.labDir, topologyFile: 't.yaml', startedAtMs: 0, ownerPid: process.pid, processes: [{ name: 'glb', kind: 'glb', pid, args: [] }] };
    writeLabState(paths, state);
    expect(readLabState(paths)!.processes[0]).toMatchObject({ pid, startTicks: rec.startTicks, startedAtMs: rec.startedAtMs });
  });
});

describe('CPU seconds of a process and its ended children', () => {
  it('counts the CPU a child used once it has ended', async () => {
    const before = cpuSecondsUsed()!;
    expect(before.self).toBeGreaterThan(0);
    // a child that burns about 0.4 s of CPU, then exits (and is reaped by this process)
    const child = spawn(process.execPath, ['-e', 'const t = process.cpuUsage(); while ((process.cpuUsage(t).user + process.cpuUsage(t).system) < 400_000);'], { stdio: 'ignore' });
    await new Promise((resolve) => child.on('exit', resolve));
    const after = cpuSecondsUsed()!;
    expect(after.children - before.children).toBeGreaterThanOrEqual(0.35);
    expect(after.self).toBeGreaterThanOrEqual(before.self);
  }, 20_000);
});
