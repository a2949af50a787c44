// A lab whose global load balancer runs worker processes (`entry: { workers: 2 }`): both workers
// listen on the entry point's one port and serve whole answers, /metrics on any of them sums the
// workers, a primary killed outright takes its workers with it, and `halab down` leaves nothing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { halab, leftovers, makeHome, smallTopology } from './helpers.js';
import { isAlive } from '../src/process/launcher.js';

const home = makeHome('halab-workers-');

afterAll(async () => {
  await halab(home, ['down']);
  expect(leftovers(home)).toEqual([]);
}, 60_000);

async function stream(url: string, i: number): Promise<string> {
  const res = await request(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: `hello ${i}` }], max_tokens: 8, stream: true }),
    reset: true, // a new connection each: the primary hands them to both workers
  });
  expect(res.statusCode).toBe(200);
  return res.body.text();
}

function okRequests(metrics: string): number {
  return [...metrics.matchAll(/^halab_glb_requests_total\{[^}]*outcome="ok"[^}]*\} (\d+)/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

describe('edge worker processes', () => {
  it('serve the entry point together, sum their metrics, and die with their primary', async () => {
    const file = smallTopology(home, 'workers');
    const { appendFileSync } = await import('node:fs');
    appendFileSync(file, 'entry: { workers: 2 }\n');
    const up = await halab(home, ['up', file], 120_000);
    expect(up.code, up.stderr).toBe(0);
    const ready = JSON.parse(readFileSync(join(home, 'lab', 'procs', 'glb.json'), 'utf8')) as { pid: number; url: string; workers: number[] };
    expect(ready.workers).toHaveLength(2);
    expect(ready.workers.every(isAlive)).toBe(true);

    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => stream(ready.url, i)));
    for (const a of answers) expect(a.trimEnd().endsWith('data: [DONE]')).toBe(true);
    // every scrape, whichever worker takes it, counts the requests of both
    for (let i = 0; i < 4; i++) {
      const res = await request(`${ready.url}/metrics`, { reset: true });
      expect(okRequests(await res.body.text())).toBe(12);
    }

    // `halab status` knows the workers
    const status = JSON.parse((await halab(home, ['status', '--json'])).stdout) as { globalLoadBalancer: { workers: { pid: number; alive: boolean }[] } };
    expect(status.globalLoadBalancer.workers).toEqual(ready.workers.map((pid) => ({ pid, alive: true })));

    process.kill(ready.pid, 'SIGKILL');
    const deadline = Date.now() + 10_000;
    while (ready.workers.some(isAlive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(ready.workers.filter(isAlive)).toEqual([]);
  }, 180_000);
});
