// The k6 driver takes a streamed 200's first response byte as its first token. That holds because
// the gateway's streaming sink sends nothing — not even headers — before the first token. This
// test pins that behaviour on a real socket, so a change to the gateway that flushes headers
// early breaks here rather than silently making k6's TTFT an underestimate.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, describe, expect, it } from 'vitest';
import { realClock } from '../core/clock.js';
import { streamingSink } from '../gateway/regional/openai-sinks.js';

const FIRST_TOKEN_AFTER_MS = 300;
let server: Server | undefined;

afterAll(() => new Promise<void>((done) => (server ? server.close(() => done()) : done())));

describe('first response byte of a gateway stream', () => {
  it('arrives with the first token, not before', async () => {
    server = createServer((_req, res) => {
      const sink = streamingSink(res, { id: 'c1', model: 'm', createdS: 0, region: 'r', includeUsage: false });
      void realClock.sleep(FIRST_TOKEN_AFTER_MS).then(() => {
        sink.token(' hello', 'v1');
        sink.done('stop', { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 }, { replicas: ['a/b/0'], resumes: 0, version: 'v1' });
      });
    });
    await new Promise<void>((done) => server!.listen(0, '127.0.0.1', done));
    const { port } = server.address() as AddressInfo;
    const sent = realClock.monoMs();
    const res = await request(`http://127.0.0.1:${port}/`, { method: 'POST', body: '{}' });
    const headersAfterMs = realClock.monoMs() - sent;
    const body = await res.body.text();
    expect(res.statusCode).toBe(200);
    // generous lower bound only: the headers cannot come before the token is produced
    expect(headersAfterMs).toBeGreaterThanOrEqual(FIRST_TOKEN_AFTER_MS - 20);
    expect(body).toContain('" hello"');
  });
});
