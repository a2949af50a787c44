// A replica host's replicas over real sockets, in-process: each has its own listeners and agent; a
// crash (the replica.crash fault through its own agent) ends that replica's connections abruptly
// and only its; a restart brings it back as a new incarnation on new ports.
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../core/clock.js';
import { createLogger } from '../core/log.js';
import { memoryEventSink } from '../record/events.js';
import { readyFile } from '../process/paths.js';
import { agentInjectFault } from './agent-client.js';
import { scaledProfile } from './profiles.js';
import { startReplica } from './replica-server.js';
import { HOSTED_PID_BASE, hostedPid, ReplicaHost } from './replica-host.js';

const labDir = mkdtempSync(join(tmpdir(), 'halab-host-'));
const log = createLogger('test', undefined, 'silent');
const ids = ['a/p/0', 'a/p/1', 'a/p/2'];
let host: ReplicaHost;

beforeAll(async () => {
  host = new ReplicaHost(ids, { name: 'replica-host/a/p', labDir, hostPid: process.pid, log }, (id, vpid, crashed) =>
    startReplica({
      id,
      region: 'a',
      cluster: 'p',
      host: '127.0.0.1',
      modelName: 'm',
      modelVersion: 'v1',
      profile: scaledProfile('h100-llama3-8b', 0.3, 0),
      seed: 1,
      clock: realClock,
      events: memoryEventSink(`replica/${id}`, realClock),
      log,
      pid: vpid,
      exit: crashed,
    }),
  );
  await host.startAll();
});

afterAll(async () => {
  await host.closeAll();
  rmSync(labDir, { recursive: true, force: true });
});

/** A slow streaming request (1024 tokens) whose outcome is reported when it ends: completed, or cut. */
async function longStream(url: string): Promise<{ text: string; cut: boolean }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'hi' }], max_tokens: 1024, stream: true }),
  });
  let text = '';
  try {
    for await (const chunk of res.body) text += String(chunk);
    return { text, cut: false };
  } catch {
    return { text, cut: true };
  }
}

function refused(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const s = connect(Number(port), hostname);
    s.once('connect', () => {
      s.destroy();
      resolve(false);
    });
    s.once('error', () => resolve(true));
  });
}

describe('replica host', () => {
  it('gives each replica its own listeners, a pid-like id above any real pid, and a ready file', () => {
    const infos = ids.map((id) => host.info(id)!);
    expect(new Set(infos.map((i) => i.httpUrl)).size).toBe(3);
    expect(new Set(infos.map((i) => i.agentAddress)).size).toBe(3);
    expect(new Set(infos.map((i) => i.vpid)).size).toBe(3);
    for (const i of infos) expect(i.vpid).toBeGreaterThan(HOSTED_PID_BASE);
    const ready = JSON.parse(readFileSync(readyFile(labDir, 'replica/a/p/1'), 'utf8')) as Record<string, unknown>;
    expect(ready).toMatchObject({ pid: process.pid, vpid: infos[1]!.vpid, httpUrl: infos[1]!.httpUrl, host: 'replica-host/a/p' });
    expect(hostedPid(4_194_304, 127, 1)).toBeLessThan(2 ** 31); // fits the registration's int32
  });

  it('a crash through one replica\'s agent cuts only its streams, abruptly; its neighbours serve on', async () => {
    const [a, b] = [host.info('a/p/0')!, host.info('a/p/1')!];
    const onA = longStream(a.httpUrl);
    const onB = longStream(b.httpUrl);
    await realClock.sleep(150);
    await agentInjectFault(a.agentAddress, { kind: 'replica.crash', faultId: 'c1', factor: 0, probability: 0, afterTokens: 0 }, realClock);
    const [ra, rb] = await Promise.all([onA, onB]);
    expect(ra.text).not.toContain('[DONE]'); // ended mid-answer, as a killed process's stream does
    expect(rb.text).toContain('[DONE]');
    expect(rb.cut).toBe(false);
    expect(host.state('a/p/0')).toBe('crashed');
    expect(existsSync(readyFile(labDir, 'replica/a/p/0'))).toBe(false);
    expect(await refused(a.httpUrl)).toBe(true);
    expect(await refused(`http://${a.agentAddress}`)).toBe(true);
    const health = await request(`${b.httpUrl}/health`);
    expect(health.statusCode).toBe(200);
    await health.body.dump();
  });

  it('restarts a crashed replica as a new incarnation on new ports; a running one is left as it is', async () => {
    const before = host.info('a/p/0')!;
    const after = await host.start('a/p/0');
    expect(after.incarnation).toBe(before.incarnation + 1);
    expect(after.vpid).not.toBe(before.vpid);
    expect(after.httpUrl).not.toBe(before.httpUrl);
    expect(host.state('a/p/0')).toBe('running');
    const res = await request(`${after.httpUrl}/v1/models`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const b = host.info('a/p/1')!;
    expect(await host.start('a/p/1')).toEqual(b);
    // a late exit of the old incarnation does nothing to the new one
    host.crash('a/p/0', 1, before.incarnation);
    expect(host.state('a/p/0')).toBe('running');
  });
});
