// A lab (`halab up`, real processes) whose topology has model routes and `gateway:` / `entry:`
// settings: the entry point serves every route, and the settings reach the gateway and global
// load balancer processes (a bad one exits 2 naming the field, before anything starts).
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome } from './helpers.js';
import { AUTH_HEADER, mintToken } from '../src/protocol/lab-auth.js';
import { readLabSecret } from '../src/process/lab-secret.js';

const home = makeHome('halab-entry-');

function topology(extra: string): string {
  const file = join(home, `routes-${Math.random().toString(36).slice(2)}.yaml`);
  writeFileSync(
    file,
    `name: routes-lab
model: { name: llama-3-8b-instruct, version: v1 }
regions:
  - name: us-east-1
    host: 127.0.1.1
    clusters:
      - name: primary
        external: { kind: vllm, endpoints: [{}], standin: { firstTokenMs: 5, tokenMs: 4 } }
      - name: hosted
        external: { kind: generic, model: hosted-llama, endpoints: [{}], standin: { assistantPrefill: false, firstTokenMs: 5, tokenMs: 4 } }
routes:
  - model: llama-3-8b-instruct
    groups:
      - { name: primary, clusters: [us-east-1/primary], deterministic: true }
      - { name: hosted, clusters: [us-east-1/hosted], model: hosted-llama, deterministic: true }
  - model: hosted-only
    groups:
      - { name: hosted, clusters: [us-east-1/hosted], model: hosted-llama }
${extra}
`,
  );
  return file;
}

async function post(url: string, model: string, maxTokens = 8, stream = false): Promise<{ status: number; body: string }> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: maxTokens, stream }),
  });
  return { status: res.statusCode, body: await res.body.text() };
}

afterAll(async () => {
  await halab(home, ['down']);
  expect(leftovers(home)).toEqual([]);
}, 60_000);

describe('routes and settings through a lab\'s entry point', () => {
  it('refuses a bad setting with exit 2 naming the field, starting nothing', async () => {
    const bad = await halab(home, ['up', topology('gateway: { maxAttempts: 0 }')]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/gateway\.maxAttempts/);
    const capped = await halab(home, ['up', topology('entry: { baseEjectionMs: 90000 }')]);
    expect(capped.code).toBe(2);
    expect(capped.stderr).toMatch(/entry\.baseEjectionMs: is 90000 but entry\.maxEjectionMs is 30000/);
    expect(leftovers(home)).toEqual([]);
  }, 60_000);

  it('serves every route at the entry point; gateway.maxAttempts and entry.inFlightMax reach the processes', async () => {
    const up = await halab(home, ['up', topology('gateway: { maxAttempts: 1 }\nentry: { inFlightMax: 1 }')], 120_000);
    expect(up.code, up.stderr).toBe(0);
    const status = JSON.parse((await halab(home, ['status', '--json'])).stdout) as { entrypoint: string; gateways: { url: string }[] };
    const entry = status.entrypoint;
    const models = await request(`${entry}/v1/models`);
    expect(((await models.body.json()) as { data: { id: string }[] }).data.map((m) => m.id)).toEqual(['llama-3-8b-instruct', 'hosted-only']);
    const routed = await post(entry, 'hosted-only');
    expect(routed.status).toBe(200);
    expect(JSON.parse(routed.body)).toMatchObject({ model: 'hosted-llama', halab: { model: 'hosted-llama', group: 'hosted' } });

    // entry.inFlightMax: 1 — requests beyond the one in flight are refused by the entry point itself
    const burst = await Promise.all(Array.from({ length: 8 }, () => post(entry, 'llama-3-8b-instruct', 64, true)));
    const refused = burst.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused[0]!.body).toMatch(/global load balancer is at its limit of 1 requests in flight/);
    expect(burst.some((r) => r.status === 200)).toBe(true);

    // gateway.maxAttempts: 1 — a failing primary is not retried nor failed over within the request
    const resolved = readFileSync(join(home, 'lab', 'topology.resolved.yaml'), 'utf8');
    const primaryUrl = /url: (http:\/\/[^\s,}]+)/.exec(resolved)![1]!;
    // a lab-launched stand-in's fault API answers lab components only
    const refusedAdmin = await request(`${primaryUrl}/admin/mode`, { method: 'POST', body: JSON.stringify({ mode: 'server-error', status: 503 }) });
    expect(refusedAdmin.statusCode).toBe(401);
    await refusedAdmin.body.dump();
    const labToken = mintToken(readLabSecret(join(home, 'lab')), 'cli');
    await request(`${primaryUrl}/admin/mode`, { method: 'POST', headers: { [AUTH_HEADER]: labToken }, body: JSON.stringify({ mode: 'server-error', status: 503 }) }).then((r) => r.body.dump());
    const direct = await post(status.gateways[0]!.url, 'llama-3-8b-instruct');
    expect(direct.status).toBe(503);
    expect(direct.body).toMatch(/status 503 from us-east-1\/primary\/0/);
  }, 180_000);
});
