import { createServer, type Server } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { contentEvents, LinkCutProxy } from './link-cut-proxy.js';

const event = (content: string): string => `data: ${JSON.stringify({ choices: [{ delta: { content }, finish_reason: null }] })}\n\n`;

let upstream: Server;
let port = 0;

beforeAll(async () => {
  // an SSE server: 20 content events, then the finish
  upstream = createServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    let i = 0;
    const next = (): void => {
      if (i < 20) {
        res.write(event(` t${i++}`));
        setTimeout(next, 2);
      } else {
        res.end(`data: ${JSON.stringify({ choices: [{ delta: {}, finish_reason: 'stop' }] })}\n\ndata: [DONE]\n\n`);
      }
    };
    next();
  });
  await new Promise<void>((r) => upstream.listen(0, '127.0.0.1', () => r()));
  port = (upstream.address() as { port: number }).port;
});

afterAll(() => new Promise<void>((r) => upstream.close(() => r())));

describe('the sidecar link proxy', () => {
  it('counts content events, not role or finish events', () => {
    expect(contentEvents(event('a') + event('b "quoted"') + 'data: {"choices":[{"delta":{"role":"assistant","content":null}}]}\n\n' + event(''))).toBe(2);
  });

  it('relays whole streams, cuts them after N content events while cutting, and refuses new connections while draining', async () => {
    const proxy = new LinkCutProxy('127.0.0.1', { host: '127.0.0.1', port });
    const url = await proxy.listen();
    try {
      const whole = await (await request(url)).body.text();
      expect(contentEvents(whole)).toBe(20);
      expect(whole).toContain('[DONE]');
      proxy.cutAfterEvents = 5;
      let got = '';
      let error: unknown;
      try {
        const res = await request(url);
        for await (const chunk of res.body) got += chunk.toString();
      } catch (err) {
        error = err;
      }
      expect(error).toBeDefined();
      expect(contentEvents(got)).toBeLessThanOrEqual(5);
      expect(got).not.toContain('[DONE]');
      expect(proxy.cutsTotal).toBe(1);
      proxy.cutAfterEvents = undefined;
      proxy.refuseNew = true;
      const refused = await request(url);
      expect(refused.statusCode).toBe(503);
      expect(await refused.body.text()).toMatch(/draining/);
      const probe = await request(url, { headers: { 'x-halab-probe': '1' } });
      expect(probe.statusCode).toBe(200);
      expect(contentEvents(await probe.body.text())).toBe(20);
    } finally {
      await proxy.close();
    }
  });
});
