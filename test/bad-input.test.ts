// Every bad input exits 2 naming what and where, before anything starts: YAML syntax, topology
// semantics, numbers in flags, game-day parameters, client regions and fault targets.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome } from './helpers.js';

const home = makeHome('halab-bad-input-');

function file(name: string, text: string): string {
  const f = join(home, name);
  writeFileSync(f, text);
  return f;
}

const topology = (extra: string, host = '127.0.1.1') =>
  file(`topo-${Math.random().toString(36).slice(2)}.yaml`, `name: t\n${extra}regions:\n  - name: us-east-1\n    host: ${host}\n    clusters:\n      - { name: primary, gpus: 2 }\n`);

/** Exit 2, the message matches, and no lab directory or lab process was left. */
async function refused(args: readonly string[], message: RegExp): Promise<void> {
  const r = await halab(home, args, 30_000);
  expect(r.code, `${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(2);
  expect(r.stderr).toMatch(message);
  expect(existsSync(join(home, 'lab'))).toBe(false);
  expect(leftovers(home)).toEqual([]);
}

describe('bad input exits 2 before anything starts', () => {
  it('topology files: YAML syntax (file:line:column), unknown profile, non-loopback host, sizes', async () => {
    const broken = file('broken.yaml', 'name: t\nregions:\n  - name: us-east-1\n    clusters: [ { name: primary, gpus: 2 }\n');
    await refused(['up', broken], /broken\.yaml:5:1: topology file is not valid YAML: /);
    await refused(['up', topology('profile: h200-gpt5\n')], /profile: unknown engine profile "h200-gpt5"; known: h100-llama3-8b, a100-llama3-8b, l4-llama3-8b/);
    await refused(['up', topology('', '127.0.0.300')], /regions\[0\]\.host: expected a loopback IPv4 address/);
    await refused(['up', topology('', '10.1.2.3')], /regions\[0\]\.host: expected a loopback IPv4 address/);
    const huge = file('huge.yaml', 'name: t\nregions:\n  - name: us-east-1\n    host: 127.0.1.1\n    clusters: [{ name: primary, gpus: 500 }]\n');
    await refused(['up', huge], /huge\.yaml: regions\[0\]\.clusters\[0\]\.gpus: at most 64 replicas per cluster/);
  }, 60_000);

  it('numbers in flags name the flag', async () => {
    await refused(['inject', 'replica.slow', 'us-east-1/primary/0', '--factor', 'abc'], /--factor must be a number, greater than 0, at most 1000, not "abc"/);
    await refused(['inject', 'replica.error-rate', 'us-east-1/primary/0', '--probability', '2'], /--probability must be a number, greater than 0, at most 1, not "2"/);
    await refused(['inject', 'cluster.degrade', 'us-east-1/primary', '--count', '1.5'], /--count must be a whole number/);
    await refused(['up', topology(''), '--timeout', 'soon'], /--timeout must be a positive whole number of ms, not "soon"/);
  }, 60_000);

  it('game-day parameters: a zero mean interval, negative or NaN durations and counts', async () => {
    const t = topology('');
    await refused(['gameday', t, '--plan-only', '--mean-interval', '0'], /--mean-interval must be longer than 0/);
    await refused(['gameday', t, '--plan-only', '--mean-interval', '1ms', '--duration', '1h'], /--mean-interval 1ms over --duration 1h means more than 10000 faults/);
    await refused(['gameday', t, '--plan-only', '--duration', '-5s'], /--duration: invalid duration "-5s"/);
    await refused(['gameday', t, '--plan-only', '--duration', '400d'], /--duration: invalid duration "400d": at most 366d/);
    await refused(['gameday', t, '--plan-only', '--rate', 'NaN'], /--rate must be a number, greater than 0/);
    await refused(['gameday', t, '--plan-only', '--max-replicas', '-1'], /--max-replicas must be a whole number, at least 1/);
    await refused(['gameday', t, '--plan-only', '--min-fault', '0'], /--min-fault must be longer than 0/);
    await refused(['gameday', t, '--plan-only', '--max-budget-burn', 'x'], /--max-budget-burn must be a number/);
  }, 60_000);

  it('scenarios: YAML syntax, an unknown client region, an unknown fault target (--schedule-only too), a 400-day duration', async () => {
    const t = topology('modelLoadMs: 200\n');
    const scenario = (name: string, body: string) => file(name, `name: s\ntopology: ${t}\nduration: 10s\n${body}`);
    await refused(['run', scenario('syntax.yaml', 'load: { ratePerSec: 5\n')], /syntax\.yaml:5:1: scenario or suite file is not valid YAML: /);
    await refused(['run', scenario('region.yaml', 'load: { clientRegion: mars-1 }\n')], /region\.yaml: load\.clientRegion: no region "mars-1" in topology .*; known: us-east-1/);
    const target = scenario('target.yaml', 'faults:\n  - { kind: replica.crash, target: us-east-1/primary/7, at: 2s }\n');
    await refused(['run', target, '--schedule-only'], /target\.yaml: faults\[0\]\.target: no replica "us-east-1\/primary\/7" in topology/);
    await refused(['run', target], /target\.yaml: faults\[0\]\.target: no replica "us-east-1\/primary\/7"/);
    const wrongKind = scenario('kind.yaml', 'faults:\n  - { kind: region.outage, target: us-east-1/primary, at: 2s }\n');
    await refused(['run', wrongKind, '--schedule-only'], /kind\.yaml: faults\[0\]\.target: region\.outage takes a region target/);
    await refused(['run', scenario('long.yaml', 'faults:\n  - { kind: replica.crash, target: us-east-1/primary/0, at: 2s, for: 400d }\n')], /long\.yaml: faults\[0\]\.for: invalid duration "400d": at most 366d/);
  }, 60_000);

  it('a 30-day fault keeps its 30 days in the schedule', async () => {
    const t = topology('');
    const f = file('month.yaml', `name: s\ntopology: ${t}\nduration: 31d\nfaults:\n  - { kind: replica.crash, target: us-east-1/primary/0, at: 1s, for: 30d }\n`);
    const r = await halab(home, ['run', f, '--schedule-only']);
    expect(r.code, r.stderr).toBe(0);
    expect((JSON.parse(r.stdout) as { schedule: { forMs: number }[] }).schedule[0]!.forMs).toBe(30 * 86_400_000);
  });
});
