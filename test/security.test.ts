// The reference service as an attacker meets it: no request crashes a lab process (a seeded fuzz of
// every HTTP surface), and nobody without the lab's credentials — or with another component's —
// gets into the control plane, the replica agents or the gateways' internal routes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controlPlanePackage, grpc, replicaAgentPackage } from '../src/protocol/grpc.js';
import { AUTH_HEADER, mintToken } from '../src/protocol/lab-auth.js';
import { readLabSecret } from '../src/process/lab-secret.js';
import { isAlive } from '../src/process/launcher.js';
import { labPaths } from '../src/process/paths.js';
import { readLabState, type LabState } from '../src/process/lab-state.js';
import { fuzzCases, sendRaw, type FuzzAnswer } from './http-fuzz.js';
import { halab, makeHome, ROOT, smallTopology } from './helpers.js';

const home = makeHome('halab-sec-');
const paths = labPaths(home);
let state: LabState;
let standin: ChildProcess | undefined;
let standinUrl = '';

const MODEL = 'llama-3-8b-instruct';
const chat = (content: string, extra: Record<string, unknown> = {}): string => JSON.stringify({ model: MODEL, messages: [{ role: 'user', content }], max_tokens: 8, seed: 1, ...extra });

function proc(name: string) {
  const p = state.processes.find((e) => e.name === name);
  if (!p) throw new Error(`no process ${name}`);
  return p;
}

/** Every event of the lab's processes of this type. */
function labEvents(type: string): { source: string; type: string; subject: string; reason?: string; data?: Record<string, unknown> }[] {
  const dir = join(paths.labDir, 'events');
  return readdirSync(dir).flatMap((f) =>
    readFileSync(join(dir, f), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { source: string; type: string; subject: string })
      .filter((e) => e.type === type),
  );
}

function metadataWith(token?: string): grpc.Metadata {
  const md = new grpc.Metadata();
  if (token) md.set(AUTH_HEADER, token);
  return md;
}

/** A unary call's outcome: the gRPC status code (0 when it succeeded). */
function unary(invoke: (md: grpc.Metadata, cb: (err: grpc.ServiceError | null) => void) => void, token?: string): Promise<number> {
  return new Promise((resolve) => invoke(metadataWith(token), (err) => resolve(err ? err.code : grpc.status.OK)));
}

const labToken = (identity: string): string => mintToken(readLabSecret(paths.labDir), identity);
const foreignToken = (identity: string): string => mintToken(randomBytes(32), identity);

beforeAll(async () => {
  const up = await halab(home, ['up', smallTopology(home)]);
  expect(up.code, up.stderr).toBe(0);
  state = readLabState(paths)!;
  standin = spawn(process.execPath, [join(ROOT, 'dist/src/replica/standin-main.js'), '--host', '127.0.0.1', '--token-ms', '2'], { stdio: ['ignore', 'pipe', 'inherit'] });
  standinUrl = await new Promise<string>((resolve, reject) => {
    standin!.stdout!.setEncoding('utf8');
    standin!.stdout!.once('data', (line: string) => resolve(line.trim()));
    standin!.once('exit', (code) => reject(new Error(`stand-in exited ${code}`)));
  });
}, 90_000);

afterAll(async () => {
  standin?.kill('SIGTERM');
  await halab(home, ['down']);
});

describe('nobody gets in', () => {
  it('keeps the lab secret in the lab directory, readable only by its owner', () => {
    expect(statSync(join(paths.labDir, 'secret')).mode & 0o777).toBe(0o600);
  });

  it('refuses fault injection through a replica agent without the lab credentials', async () => {
    const victim = proc('replica/us-east-1/primary/0');
    const { ReplicaAgent } = replicaAgentPackage();
    const agent = new ReplicaAgent(victim.address!, grpc.credentials.createInsecure());
    const spec = { kind: 'replica.hang', faultId: 'f-evil', factor: 1, probability: 1, afterTokens: 0 };
    try {
      expect(await unary((md, cb) => agent.InjectFault(spec, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => agent.InjectFault(spec, md, cb), foreignToken('cli'))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => agent.Drain({ timeoutMs: 1 }, md, cb), 'v1.garbage.token')).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => agent.Health({}, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      // the lab's own CLI still gets in, and sees no fault
      const health = await new Promise<{ faults: unknown[]; draining: boolean }>((resolve, reject) =>
        agent.Health({}, metadataWith(labToken('cli')), (err, h) => (err || !h ? reject(err ?? new Error('empty')) : resolve(h))),
      );
      expect(health.faults).toEqual([]);
      expect(health.draining).toBe(false);
    } finally {
      agent.close();
    }
    const refused = labEvents('auth.refused').filter((e) => e.subject === 'agent/us-east-1/primary/0');
    expect(refused.map((e) => e.data?.method)).toContain('/halab.v1.ReplicaAgent/InjectFault');
  });

  it('refuses control-plane calls without the lab credentials', async () => {
    const { ControlPlane } = controlPlanePackage();
    const cp = new ControlPlane(state.controlPlane!, grpc.credentials.createInsecure());
    try {
      expect(await unary((md, cb) => cp.GetStatus({}, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => cp.ReportPassive({ gatewayId: 'x', replicaId: 'us-east-1/primary/1', action: 'eject', kind: 'status', reason: 'evil' }, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => cp.StartDeploy({ modelVersion: 'evil', strategy: 'rolling' }, md, cb), foreignToken('controlplane'))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => cp.Backup({}, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      const watchCode = await new Promise<number>((resolve) => {
        const call = cp.WatchTopology({ gatewayId: 'evil', region: 'us-east-1' }, metadataWith());
        call.on('data', () => resolve(grpc.status.OK));
        call.on('error', (err: grpc.ServiceError) => resolve(err.code));
      });
      expect(watchCode).toBe(grpc.status.UNAUTHENTICATED);
      const eventsCode = await new Promise<number>((resolve) => {
        const call = cp.WatchEvents({ sinceMs: 0 }, metadataWith(foreignToken('cli')));
        call.on('data', () => resolve(grpc.status.OK));
        call.on('error', (err: grpc.ServiceError) => resolve(err.code));
      });
      expect(eventsCode).toBe(grpc.status.UNAUTHENTICATED);
    } finally {
      cp.close();
    }
    expect(labEvents('auth.refused').filter((e) => e.source === 'controlplane').map((e) => e.data?.method)).toEqual(
      expect.arrayContaining(['/halab.v1.ControlPlane/GetStatus', '/halab.v1.ControlPlane/StartDeploy', '/halab.v1.ControlPlane/WatchTopology']),
    );
  });

  it('refuses to re-register a live replica id with another address, from anyone but that replica', async () => {
    const victimId = 'us-east-1/primary/1';
    const victim = proc(`replica/${victimId}`);
    const { ControlPlane } = controlPlanePackage();
    const cp = new ControlPlane(state.controlPlane!, grpc.credentials.createInsecure());
    const hijack = { replicaId: victimId, region: 'us-east-1', cluster: 'primary', httpUrl: 'http://127.0.0.1:9', agentAddress: '127.0.0.1:9', pid: process.pid, modelVersion: 'v1' };
    try {
      expect(await unary((md, cb) => cp.Register(hijack, md, cb))).toBe(grpc.status.UNAUTHENTICATED);
      expect(await unary((md, cb) => cp.Register(hijack, md, cb), foreignToken(`replica/${victimId}`))).toBe(grpc.status.UNAUTHENTICATED);
      // another component's real credentials: authenticated, but not that replica
      expect(await unary((md, cb) => cp.Register(hijack, md, cb), labToken('gateway/us-east-1'))).toBe(grpc.status.PERMISSION_DENIED);
      expect(await unary((md, cb) => cp.Register(hijack, md, cb), labToken('replica/us-east-1/primary/2'))).toBe(grpc.status.PERMISSION_DENIED);
      // a heartbeat stream for it from another identity is refused too
      const beat = await new Promise<number>((resolve) => {
        const stream = cp.Heartbeat(metadataWith(labToken('replica/us-east-1/primary/2')), (err) => resolve(err ? err.code : grpc.status.OK));
        stream.write({ replicaId: victimId, atMs: 0, running: 0, waiting: 0 });
      });
      expect(beat).toBe(grpc.status.PERMISSION_DENIED);
      const status = await new Promise<{ replicas: { replicaId: string; httpUrl: string; connected: boolean }[] }>((resolve, reject) =>
        cp.GetStatus({}, metadataWith(labToken('cli')), (err, s) => (err || !s ? reject(err ?? new Error('empty')) : resolve(s))),
      );
      const entry = status.replicas.find((r) => r.replicaId === victimId)!;
      expect(entry.httpUrl).toBe(victim.url);
      expect(entry.connected).toBe(true);
    } finally {
      cp.close();
    }
    const refusals = labEvents('auth.refused').filter((e) => e.data?.method === 'Register');
    expect(refusals.map((e) => e.data?.caller)).toEqual(expect.arrayContaining(['gateway/us-east-1', 'replica/us-east-1/primary/2']));
  });

  it('refuses forged replicated completions and a wipe of the replicated configuration', async () => {
    const gw = proc('gateway/us-east-1').url!;
    const forged = { id: 'chatcmpl-forged', object: 'chat.completion', created: 0, model: MODEL, choices: [{ index: 0, message: { role: 'assistant', content: 'pwned' } }], request: { messages: [] }, halab: { region: 'us-west-2', storedAtMs: 0 } };
    for (const headers of [{}, { [AUTH_HEADER]: foreignToken('gateway/us-west-2') }, { [AUTH_HEADER]: 'v1.bad' }]) {
      const rep = await request(`${gw}/internal/replicate`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ from: 'us-west-2', records: [forged] }) });
      expect(rep.statusCode).toBe(401);
      await rep.body.dump();
      const wipe = await request(`${gw}/internal/config`, { method: 'PUT', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify({ keys: {} }) });
      expect(wipe.statusCode).toBe(401);
      await wipe.body.dump();
    }
    const read = await request(`${gw}/internal/config`);
    expect(read.statusCode).toBe(401);
    await read.body.dump();
    const lookup = await request(`${gw}/v1/chat/completions/chatcmpl-forged`);
    expect(lookup.statusCode).toBe(404);
    await lookup.body.dump();
    // the lab's own components still get in
    const own = await request(`${gw}/internal/config`, { headers: { [AUTH_HEADER]: labToken('controlplane') } });
    expect(own.statusCode).toBe(200);
    await own.body.dump();
    expect(labEvents('auth.refused').filter((e) => e.source === 'gateway/us-east-1').length).toBeGreaterThanOrEqual(7);
  });

  it('ignores a client-supplied completion id, uses random ids, and reads a completion back only with its key', async () => {
    const post = async (url: string, key: string | undefined, headers: Record<string, string> = {}) => {
      const res = await request(`${url}/v1/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}), ...headers },
        body: chat('remember this', { store: true }),
      });
      const body = (await res.body.json()) as { id: string; choices: { message: { content: string } }[] };
      expect(res.statusCode).toBe(200);
      return body;
    };
    const get = async (url: string, id: string, key?: string) => {
      const res = await request(`${url}/v1/chat/completions/${id}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
      const text = await res.body.text();
      return { status: res.statusCode, text };
    };
    const glb = state.glb!;
    const gw = proc('gateway/us-east-1').url!;
    const victim = await post(glb, 'alice-key');
    expect(victim.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    // an attacker names the victim's id, at the entry point and at the gateway
    for (const url of [glb, gw]) {
      const attack = await post(url, 'mallory-key', { 'x-halab-completion-id': victim.id, 'x-halab-auth': 'v1.forged.mac' });
      expect(attack.id).not.toBe(victim.id);
      expect(attack.id).toMatch(/^chatcmpl-[0-9a-f]{32}$/);
    }
    for (const url of [glb, gw]) {
      const mine = await get(url, victim.id, 'alice-key');
      expect(mine.status).toBe(200);
      const stored = JSON.parse(mine.text) as { id: string; halab: Record<string, unknown> };
      expect(stored.id).toBe(victim.id);
      expect(stored.halab.keyHash).toBeUndefined();
      expect((await get(url, victim.id, 'mallory-key')).status).toBe(404);
      expect((await get(url, victim.id)).status).toBe(404);
    }
    // a completion created without a key is readable by its id alone
    const open = await post(glb, undefined);
    expect((await get(glb, open.id)).status).toBe(200);
    const ids = new Set<string>();
    for (let i = 0; i < 3; i++) ids.add((await post(gw, undefined)).id);
    expect(ids.size).toBe(3);
  });
});

describe('no request crashes a lab process', () => {
  it('answers every malformed request with a status < 600, never a 500, and every process lives on', async () => {
    const targets = [
      { name: 'glb', url: state.glb! },
      { name: 'gateway/us-east-1', url: proc('gateway/us-east-1').url! },
      { name: 'replica/us-east-1/primary/2', url: proc('replica/us-east-1/primary/2').url! },
      { name: 'standin', url: standinUrl },
    ];
    const answers: (FuzzAnswer & { target: string })[] = [];
    // the crash of the issue, first
    for (const t of targets) {
      const res = await request(`${t.url}/v1/chat/completions/%E0%A4%A`);
      expect(res.statusCode, t.name).toBe(t.name.startsWith('gateway') || t.name === 'glb' ? 400 : 404);
      await res.body.dump();
    }
    for (const [i, t] of targets.entries()) {
      const { hostname, port } = new URL(t.url);
      const cases = fuzzCases(1600 + i, 90, `${hostname}:${port}`);
      for (let k = 0; k < cases.length; k += 6) {
        const batch = await Promise.all(cases.slice(k, k + 6).map((c) => sendRaw(hostname, Number(port), c, 10_000)));
        answers.push(...batch.map((a) => ({ ...a, target: t.name })));
      }
    }
    const unanswered = answers.filter((a) => a.status === undefined);
    expect(unanswered, JSON.stringify(unanswered.slice(0, 5))).toEqual([]);
    const bad = answers.filter((a) => a.status! >= 600 || a.status! < 100 || a.status === 500);
    expect(bad, JSON.stringify(bad.slice(0, 5))).toEqual([]);
    expect(answers.length).toBe(360);
    // every client error was a 4xx; a valid request may have been served (2xx)
    expect(answers.filter((a) => a.status! >= 400 && a.status! < 500).length).toBeGreaterThan(250);
    expect(labEvents('http.handler-failed')).toEqual([]);
    for (const p of readLabState(paths)!.processes) expect(isAlive(p.pid), p.name).toBe(true);
    expect(standin!.exitCode).toBeNull();
    // and still serving: a real completion end to end, and each surface's health
    const res = await request(`${state.glb!}/v1/chat/completions`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: chat('still there?') });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    for (const t of targets) {
      const h = await request(`${t.url}/health`);
      expect(h.statusCode, t.name).toBe(200);
      await h.body.dump();
    }
  }, 120_000);
});
