// A lab process that dies during `halab run` without a fault having killed it is an event in the
// run's record and a line of its report; a process a fault killed is not.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import type { LabState } from '../src/process/lab-state.js';
import { halab, leftovers, makeHome, smallTopology } from './helpers.js';

const home = makeHome('halab-died-');
const topology = smallTopology(home, 'small', 300);

afterAll(async () => {
  await halab(home, ['down']);
});

describe('halab run watches its lab processes', () => {
  it('a backup replica killed from outside is a process.died event and a report line; the crashed replica of a fault is not', async () => {
    const file = join(home, 'died.yaml');
    writeFileSync(
      file,
      `name: died\ntopology: ${topology}\nseed: 3\nduration: 10s\nload: { ratePerSec: 10, streaming: true, promptTokens: 16, maxTokens: 16 }\n` +
        `faults:\n  - { kind: replica.crash, target: us-east-1/primary/0, at: 2s, for: 3s }\n`,
    );
    const out = join(home, 'out');
    const run = halab(home, ['run', file, '--out', out], 90_000);
    const stateFile = join(home, 'lab', 'state.json');
    let victim: number | undefined;
    for (let i = 0; i < 600 && victim === undefined; i++) {
      if (existsSync(stateFile) && existsSync(join(home, 'lab', 'events', 'chaos.ndjson'))) {
        try {
          const state = JSON.parse(readFileSync(stateFile, 'utf8')) as LabState;
          victim = state.processes.find((p) => p.name === 'replica/us-east-1/backup/0')?.pid;
        } catch {
          // the state file is being replaced
        }
      }
      if (victim === undefined) await realClock.sleep(50);
    }
    expect(victim).toBeGreaterThan(0);
    await realClock.sleep(1000);
    process.kill(victim!, 'SIGKILL');
    const r = await run;
    expect(r.stderr).toMatch(new RegExp(`warning: lab process replica/us-east-1/backup/0 \\(pid ${victim}\\) died, and no fault killed it`));
    const events = readFileSync(join(out, 'events.ndjson'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { type: string; subject: string; data?: { pid?: number } });
    const died = events.filter((e) => e.type === 'process.died');
    expect(died.map((e) => [e.subject, e.data?.pid])).toEqual([['replica/us-east-1/backup/0', victim]]);
    const report = JSON.parse(readFileSync(join(out, 'report.json'), 'utf8')) as { processDeaths?: { name: string; pid: number }[] };
    expect(report.processDeaths).toMatchObject([{ name: 'replica/us-east-1/backup/0', pid: victim, kind: 'replica' }]);
    expect(r.stdout).toMatch(/warning: lab process replica\/us-east-1\/backup\/0 \(pid \d+\) died at \+\d+\.\ds, and no fault killed it/);
    expect(readFileSync(join(out, 'report.md'), 'utf8')).toContain('## Lab processes that died');
    expect(leftovers(home)).toEqual([]);
  }, 120_000);
});
