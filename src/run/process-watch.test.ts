import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { memoryEventSink } from '../record/events.js';
import { writeLabState } from '../process/lab-state.js';
import { recordLaunch } from '../process/owned.js';
import { labPaths } from '../process/paths.js';
import type { ActiveFault } from '../chaos/faults-store.js';
import { ProcessWatch } from './process-watch.js';

/** A lab state whose glb and one replica were started and have exited. */
async function labWithDeadProcesses() {
  const paths = labPaths(mkdtempSync(join(tmpdir(), 'halab-watch-')));
  const processes = [];
  for (const [name, kind] of [['glb', 'glb'], ['replica/r/p/0', 'replica']] as const) {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    recordLaunch(paths.labDir, name, child.pid!);
    processes.push({ name, kind, pid: child.pid!, args: [] });
    const exited = new Promise((done) => child.once('exit', done));
    child.kill('SIGKILL');
    await exited;
  }
  writeLabState(paths, { labDir: paths.labDir, topologyFile: 't.yaml', startedAtMs: 0, ownerPid: process.pid, processes });
  return paths;
}

describe('the run process watch', () => {
  it('reports a death no fault claims after its grace period, and not one a fault killed', async () => {
    const paths = await labWithDeadProcesses();
    const clock = new VirtualClock();
    const events = memoryEventSink('lab', clock);
    const lines: string[] = [];
    const crash: ActiveFault = { id: 'f1', kind: 'replica.crash', target: 'r/p/0', replicas: ['r/p/0'], injectedAtMs: 0, undo: [{ type: 'restart', processName: 'replica/r/p/0' }] };
    let faults: ActiveFault[] = [];
    const watch = new ProcessWatch({ paths, events, clock, activeFaults: () => faults, log: (l) => lines.push(l), intervalMs: 500, graceMs: 3000 });
    watch.start();
    clock.advanceTo(1000);
    faults = [crash]; // the crash's injection finishes within the grace period
    clock.advanceTo(2500);
    expect(events.events).toHaveLength(0);
    clock.advanceTo(5000);
    watch.stop();
    expect(events.events.map((e) => [e.type, e.subject])).toEqual([['process.died', 'glb']]);
    expect(events.events[0]!.data).toMatchObject({ kind: 'glb' });
    expect(lines).toEqual([expect.stringMatching(/^warning: lab process glb \(pid \d+\) died, and no fault killed it$/)]);
    expect(watch.died.map((d) => d.name)).toEqual(['glb']);
  });
});
