// Deployments never signal a hosted replica (replicaHost: shared): its pid is its host's.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { writeLabState } from '../../process/lab-state.js';
import { writeReadyFile } from '../../process/paths.js';
import { DeployProcesses } from './processes.js';

const labDir = mkdtempSync(join(tmpdir(), 'halab-deploy-proc-'));
afterAll(() => rmSync(labDir, { recursive: true, force: true }));

describe('DeployProcesses with hosted replicas', () => {
  mkdirSync(labDir, { recursive: true });
  const paths = { home: join(labDir, '..'), labDir, stateFile: join(labDir, 'state.json'), lockFile: join(labDir, '..', 'lab.lock'), eventsDir: join(labDir, 'events'), logsDir: join(labDir, 'logs'), procsDir: join(labDir, 'procs') };
  // the host is this very process: a stop or restart that signalled the pid would kill the test
  writeLabState(paths, {
    labDir,
    topologyFile: 't.yaml',
    startedAtMs: 0,
    ownerPid: process.pid,
    processes: [
      { name: 'replica-host/a/p', kind: 'replica-host', pid: process.pid, args: [] },
      { name: 'replica/a/p/0', kind: 'replica', subject: 'a/p/0', pid: process.pid, host: 'replica-host/a/p', args: [] },
    ],
  });
  const dp = new DeployProcesses({ labDir, topologyFile: 't.yaml', controlPlane: () => '127.0.0.1:1', clock: realClock });

  it('refuses to stop or restart one, naming the setting', async () => {
    await expect(dp.stop('a/p/0')).rejects.toThrow(/runs in replica-host\/a\/p \(replicaHost: shared\).*need replicaHost: process/);
    await expect(dp.restart('a/p/0', 'v2', 'ok')).rejects.toThrow(/replicaHost: shared/);
  });

  it('calls one gone when its host has taken it down (no ready file), not by the host\'s pid', () => {
    expect(dp.isGone('a/p/0')).toBe(true);
    writeReadyFile(labDir, 'replica/a/p/0', { httpUrl: 'http://127.0.0.1:1' });
    expect(dp.isGone('a/p/0')).toBe(false);
  });
});
