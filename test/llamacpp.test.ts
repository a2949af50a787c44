// Real llama.cpp replicas (setup builds llama-server and writes the tiny models): a lab of two
// llama-server engines behind their sidecar agents. A stream cut at the connection is continued
// on the other engine by token-exact replay, and the client's answer equals the uninterrupted
// one; crash and hang act on the real process (SIGKILL, SIGSTOP); model.corrupt is caught by the
// known-answer probe; `halab down` leaves no engine behind.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { SseParser } from '../src/protocol/sse.js';
import { DEFAULT_LLAMA_SERVER, tinyModel } from '../src/config/topology-llamacpp.js';
import { halab, leftovers, makeHome } from './helpers.js';

const home = makeHome('halab-llama-');
const ready = existsSync(DEFAULT_LLAMA_SERVER()) && existsSync(tinyModel(1)) && existsSync(tinyModel(2));
let entrypoint = '';

function topologyFile(): string {
  const file = join(home, 'real.yaml');
  writeFileSync(
    file,
    ['name: real', 'model: { name: tiny-llama, version: v1 }', 'links: { interRegionLatencyMs: 0 }', 'llamacpp: { threads: 1, parallel: 2, contextTokens: 1024 }', 'regions:', '  - name: us-east-1', '    host: 127.0.1.1', '    clusters:', '      - { name: primary, gpus: 2, runtime: llamacpp, minHealthyFraction: 0.4 }', ''].join('\n'),
  );
  return file;
}

/** The llama-server process of a replica (found by its log file in the lab directory), and its state letter. */
function engineOf(replicaId: string): { pid: number; state: string } | undefined {
  const logName = `engine.${replicaId.replaceAll('/', '.')}.log`;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const args = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
      if (args[0]?.endsWith('llama-server') && args.some((a) => a.startsWith(join(home, 'lab')) && a.includes(logName))) {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        return { pid: Number(entry), state: stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) };
      }
    } catch {
      // gone while we looked
    }
  }
  return undefined;
}

async function status(): Promise<{ id: string; healthy: boolean; routable: boolean; reason: string }[]> {
  const r = await halab(home, ['status', '--json']);
  return (JSON.parse(r.stdout) as { replicas: { id: string; healthy: boolean; routable: boolean; reason: string }[] }).replicas;
}

async function until(what: string, ok: () => Promise<boolean> | boolean, timeoutMs = 20_000): Promise<void> {
  const end = realClock.monoMs() + timeoutMs;
  while (!(await ok())) {
    if (realClock.monoMs() > end) throw new Error(`not within ${timeoutMs}ms: ${what}`);
    await realClock.sleep(200);
  }
}

/** One streamed answer through the lab's entrypoint, at temperature 0. */
async function ask(): Promise<{ text: string; resumes: number; finish: string }> {
  const res = await request(`${entrypoint}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'tiny-llama', messages: [{ role: 'user', content: 'Tell me a long story about the sea.' }], max_tokens: 40, temperature: 0, seed: 7, stream: true }),
  });
  expect(res.statusCode).toBe(200);
  const parser = new SseParser();
  let text = '';
  let resumes = 0;
  let finish = '';
  res.body.setEncoding('utf8');
  for await (const chunk of res.body as AsyncIterable<string>) {
    for (const data of parser.push(chunk)) {
      if (data === '[DONE]') continue;
      const c = JSON.parse(data) as { halab?: { resumes?: number }; choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
      text += c.choices?.[0]?.delta?.content ?? '';
      if (c.choices?.[0]?.finish_reason) finish = c.choices[0].finish_reason;
      if (c.halab?.resumes) resumes = c.halab.resumes;
    }
  }
  return { text, resumes, finish };
}

describe.skipIf(!ready)('llama.cpp replicas (needs scripts/setup.sh: llama-server and the tiny models)', () => {
  beforeAll(async () => {
    const up = await halab(home, ['up', topologyFile()], 90_000);
    expect(up.code, up.stderr + up.stdout).toBe(0);
    entrypoint = /entrypoint:\s+(http:\/\/\S+?)\/v1/.exec(up.stdout)![1]!;
  }, 100_000);

  afterAll(async () => {
    await halab(home, ['down']);
    expect(leftovers(home)).toEqual([]);
    expect(engineOf('us-east-1/primary/0')).toBeUndefined();
    expect(engineOf('us-east-1/primary/1')).toBeUndefined();
  }, 30_000);

  it('continues a stream cut at the connection token-exactly on the other engine', async () => {
    const whole = await ask();
    expect(whole.resumes).toBe(0);
    expect(whole.text.length).toBeGreaterThan(20);
    const inj = await halab(home, ['inject', 'replica.stream-cut', 'us-east-1/primary/0', '--after-tokens', '6']);
    expect(inj.code, inj.stderr).toBe(0);
    let resumed = 0;
    for (let i = 0; i < 6 && resumed === 0; i++) {
      const a = await ask();
      expect(a.text).toBe(whole.text);
      expect(a.finish).toBe(whole.finish);
      resumed += a.resumes;
    }
    expect(resumed).toBeGreaterThan(0);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
  }, 60_000);

  it("llama-server logs only into its size-capped .out: the --log-file on its command line leads to /dev/null", () => {
    const engine = engineOf('us-east-1/primary/0')!;
    const args = readFileSync(`/proc/${engine.pid}/cmdline`, 'utf8').split('\0');
    const logFile = args[args.indexOf('--log-file') + 1]!;
    expect(logFile.startsWith(join(home, 'lab'))).toBe(true);
    expect(lstatSync(logFile).isSymbolicLink()).toBe(true);
    expect(readlinkSync(logFile)).toBe('/dev/null');
    // what it logged (model load, the requests above) is in the .out, which the sidecar caps
    expect(statSync(`${logFile}.out`).size).toBeGreaterThan(0);
  });

  it('crash is a SIGKILL of llama-server, hang a SIGSTOP until heal; both heal back into routing', async () => {
    const victim = 'us-east-1/primary/1';
    await until('victim routable', async () => (await status()).find((r) => r.id === victim)?.routable === true);
    const before = engineOf(victim)!;
    expect(before.state).not.toBe('T');
    const crash = await halab(home, ['inject', 'replica.crash', victim]);
    expect(crash.code, crash.stderr).toBe(0);
    await until('engine gone', () => engineOf(victim) === undefined, 5000);
    await until('crash detected', async () => (await status()).find((r) => r.id === victim)?.healthy === false, 5000);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    await until('restarted engine routable', async () => (await status()).find((r) => r.id === victim)?.routable === true);
    const restarted = engineOf(victim)!;
    expect(restarted.pid).not.toBe(before.pid);
    const hang = await halab(home, ['inject', 'replica.hang', victim]);
    expect(hang.code, hang.stderr).toBe(0);
    expect(engineOf(victim)!.state).toBe('T');
    await until('hang detected', async () => (await status()).find((r) => r.id === victim)?.healthy === false, 15_000);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    expect(engineOf(victim)!.state).not.toBe('T');
    await until('hung engine back in routing', async () => (await status()).find((r) => r.id === victim)?.routable === true);
  }, 90_000);

  it('model.corrupt restarts the engine on other weights, and only the known-answer probe catches it', async () => {
    const victim = 'us-east-1/primary/0';
    const inj = await halab(home, ['inject', 'model.corrupt', victim]);
    expect(inj.code, inj.stderr).toBe(0);
    await until('corrupt model caught', async () => (await status()).find((r) => r.id === victim)?.reason.includes('wrong answer to the known-answer probe') === true);
    expect((await halab(home, ['heal', '--all'])).code).toBe(0);
    await until('healed engine routable', async () => (await status()).find((r) => r.id === victim)?.routable === true);
  }, 60_000);

  it('refuses GPU faults on a CPU engine with the reason (exit 2)', async () => {
    const r = await halab(home, ['inject', 'gpu.xid', 'us-east-1/primary/0']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/real llama.cpp engine on the CPU, which has no GPU to fail/);
  });
});
