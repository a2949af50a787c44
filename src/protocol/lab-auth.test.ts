import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { AUTH_HEADER, keyHash, labAuthFrom, mintToken, sameHash, useLabAuth, verifyToken } from './lab-auth.js';
import { guardHandler, stripLabHeaders } from './http-guard.js';

const secret = randomBytes(32);

afterEach(() => useLabAuth(undefined));

describe('lab tokens', () => {
  it('prove the identity they were minted for, under that secret only', () => {
    const token = mintToken(secret, 'replica/us-east-1/primary/0');
    expect(verifyToken(secret, token)).toBe('replica/us-east-1/primary/0');
    expect(verifyToken(randomBytes(32), token)).toBeUndefined();
    // an identity swapped into another component's token does not verify
    const [v, , mac] = token.split('.');
    expect(verifyToken(secret, `${v}.${Buffer.from('controlplane').toString('base64url')}.${mac}`)).toBeUndefined();
    for (const bad of [undefined, '', 'v1', 'v1..', 'v2.a.b', `${token}.x`, 'v1.' + 'A'.repeat(2000) + '.b']) expect(verifyToken(secret, bad)).toBeUndefined();
  });

  it('compare key hashes in constant time and only when equal', () => {
    expect(sameHash(keyHash('k'), keyHash('k'))).toBe(true);
    expect(sameHash(keyHash('k'), keyHash('j'))).toBe(false);
    expect(sameHash(keyHash('k'), '')).toBe(false);
  });
});

describe('HTTP guards', () => {
  async function serve(handler: (req: IncomingMessage) => unknown): Promise<{ url: string; close: () => void }> {
    const server = createServer(
      guardHandler((req, res) => {
        const body = JSON.stringify(handler(req) ?? null);
        res.writeHead(200).end(body);
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
  }

  it('strip x-halab-* headers from clients, keep them from lab components', async () => {
    useLabAuth(labAuthFrom(secret, 'gateway/a'));
    const s = await serve((req) => {
      stripLabHeaders(req, ['x-halab-client-region']);
      return Object.keys(req.headers).filter((h) => h.startsWith('x-halab-')).sort();
    });
    try {
      const client = await request(s.url, { headers: { 'x-halab-completion-id': 'chatcmpl-x', 'x-halab-client-region': 'b', [AUTH_HEADER]: mintToken(randomBytes(32), 'glb') } });
      expect(await client.body.json()).toEqual(['x-halab-client-region']);
      const lab = await request(s.url, { headers: { 'x-halab-completion-id': 'chatcmpl-x', [AUTH_HEADER]: mintToken(secret, 'glb') } });
      expect(await lab.body.json()).toEqual([AUTH_HEADER, 'x-halab-completion-id']);
    } finally {
      s.close();
    }
  });

  it('turn a throwing handler into a 500 and a malformed escape into a 400; the server lives on', async () => {
    const s = await serve((req) => {
      if (req.url === '/throw') throw new Error('boom');
      return decodeURIComponent(req.url ?? '');
    });
    try {
      const thrown = await request(`${s.url}/throw`);
      expect(thrown.statusCode).toBe(500);
      await thrown.body.dump();
      const escape = await request(`${s.url}/%E0%A4%A`);
      expect(escape.statusCode).toBe(400);
      await escape.body.dump();
      const fine = await request(`${s.url}/ok`);
      expect(fine.statusCode).toBe(200);
      await fine.body.dump();
    } finally {
      s.close();
    }
  });
});
