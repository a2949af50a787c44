// In a lab, a misbehaving-upstream stand-in's /admin/* fault API answers lab components only; a
// fault command gets the lab's credentials as $HALAB_AUTH_HEADER.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../../core/clock.js';
import { AUTH_HEADER, labAuthFrom, mintToken, useLabAuth } from '../../protocol/lab-auth.js';
import { ensureLabSecret, readLabSecret } from '../../process/lab-secret.js';
import { runCommand } from './run-command.js';
import { DEFAULT_STANDIN, startUpstreamStandin, type RunningStandin } from '../../replica/upstream-standin.js';

let s: RunningStandin;
const labDir = mkdtempSync(join(tmpdir(), 'halab-standin-auth-'));

beforeAll(async () => {
  ensureLabSecret(labDir);
  // as standin-main does when launched with --lab-dir
  useLabAuth(labAuthFrom(readLabSecret(labDir), 'standin/test'));
  s = await startUpstreamStandin({ ...DEFAULT_STANDIN, host: '127.0.0.1', clock: realClock, firstTokenMs: 1, tokenMs: 1 });
});
afterAll(async () => {
  await s.close();
  useLabAuth(undefined);
  rmSync(labDir, { recursive: true, force: true });
});

async function setMode(headers: Record<string, string>): Promise<number> {
  const res = await request(`${s.url}/admin/mode`, { method: 'POST', headers, body: JSON.stringify({ mode: 'reset' }) });
  await res.body.dump();
  return res.statusCode;
}

describe('the stand-in admin API in a lab', () => {
  it('refuses a caller without lab credentials, or with another lab’s, and leaves the mode alone', async () => {
    expect(await setMode({})).toBe(401);
    expect(await setMode({ [AUTH_HEADER]: mintToken(Buffer.alloc(32, 7), 'cli') })).toBe(401);
    const stats = await request(`${s.url}/admin/stats`);
    expect(stats.statusCode).toBe(401);
    await stats.body.dump();
    const mode = await request(`${s.url}/admin/mode`, { headers: { [AUTH_HEADER]: mintToken(readLabSecret(labDir), 'cli') } });
    expect(((await mode.body.json()) as { mode: string }).mode).toBe('ok');
  });

  it('a fault command carrying $HALAB_AUTH_HEADER sets the mode; without it the command fails', async () => {
    await expect(runCommand(`curl -sf -X POST ${s.url}/admin/mode -d '{"mode":"reset"}'`, 5000, labDir)).rejects.toThrow(/exited 22/);
    await runCommand(`curl -sf -H "$HALAB_AUTH_HEADER" -X POST ${s.url}/admin/mode -d '{"mode":"reset"}'`, 5000, labDir);
    const mode = await request(`${s.url}/admin/mode`, { headers: { [AUTH_HEADER]: mintToken(readLabSecret(labDir), 'cli') } });
    expect(((await mode.body.json()) as { mode: string }).mode).toBe('reset');
    await runCommand(`curl -sf -H "$HALAB_AUTH_HEADER" -X DELETE ${s.url}/admin/mode`, 5000, labDir);
  });
});
