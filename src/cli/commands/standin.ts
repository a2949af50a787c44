// `halab standin`: the misbehaving-upstream stand-in, for tests and as a fault target for users.
// `serve` runs one (a plain OpenAI server); `mode`, `clear`, `gpu` and `stats` drive a running one
// through its admin API, so they can be used as the inject/heal commands of external faults.
import type { Command } from 'commander';
import { request } from 'undici';
import { realClock } from '../../core/clock.js';
import { parseDurationMs } from '../../core/duration.js';
import { HalabError, errorMessage } from '../../core/errors.js';
import { MISBEHAVIOURS, parseMisbehaviour } from '../../replica/misbehaviour.js';
import { addStandinFlags, standinOptions, type StandinFlags } from '../../replica/standin-flags.js';
import { startUpstreamStandin } from '../../replica/upstream-standin.js';
import { numberFlag } from './number-flags.js';
import { labAuthHeaders } from '../../protocol/http-guard.js';

async function adminCall(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<string> {
  let res;
  try {
    res = await request(`${base.replace(/\/+$/, '')}${path}`, {
      method,
      headers: { 'content-type': 'application/json', ...labAuthHeaders() },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      headersTimeout: 5000,
      bodyTimeout: 5000,
    });
  } catch (err) {
    throw new HalabError('UPSTREAM_FAILED', `stand-in at ${base} did not answer: ${errorMessage(err)}`);
  }
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new HalabError('UPSTREAM_FAILED', `stand-in at ${base} answered ${res.statusCode}: ${text}`);
  return text;
}

export function registerStandin(program: Command): void {
  const cmd = program.command('standin').description('the misbehaving-upstream stand-in (an OpenAI-compatible server that fails on demand)');
  addStandinFlags(cmd.command('serve').description('run a stand-in in the foreground; prints its URL')).action(async (f: StandinFlags) => {
    const standin = await startUpstreamStandin(standinOptions(f, realClock));
    process.stdout.write(`${standin.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    await standin.close();
  });
  cmd
    .command('mode')
    .description(`set a misbehaviour: ${MISBEHAVIOURS.join(', ')}`)
    .argument('<url>', 'base URL of the stand-in')
    .argument('<mode>', 'misbehaviour')
    .option('--count <n>', 'requests affected, then back to ok', numberFlag('--count', { integer: true, min: 1 }))
    .option('--for <duration>', 'how long it lasts')
    .option('--retry-after <s>', 'Retry-After seconds (rate-limit)', numberFlag('--retry-after', { min: 0, max: 3600 }))
    .option('--status <code>', '5xx status (server-error)', numberFlag('--status', { integer: true, min: 500, max: 599 }))
    .option('--after-tokens <n>', 'tokens before stall/cut/malformed', numberFlag('--after-tokens', { integer: true, min: 0 }))
    .action(async (url: string, mode: string, o: { count?: number; for?: string; retryAfter?: number; status?: number; afterTokens?: number }) => {
      const spec = parseMisbehaviour({
        mode,
        ...(o.count !== undefined ? { count: o.count } : {}),
        ...(o.for !== undefined ? { forMs: parseDurationMs(o.for) } : {}),
        ...(o.retryAfter !== undefined ? { retryAfterS: o.retryAfter } : {}),
        ...(o.status !== undefined ? { status: o.status } : {}),
        ...(o.afterTokens !== undefined ? { afterTokens: o.afterTokens } : {}),
      });
      process.stdout.write((await adminCall(url, 'POST', '/admin/mode', spec)) + '\n');
    });
  cmd
    .command('clear')
    .description('back to normal behaviour')
    .argument('<url>')
    .action(async (url: string) => void process.stdout.write((await adminCall(url, 'DELETE', '/admin/mode')) + '\n'));
  cmd
    .command('gpu')
    .description('set the Xid error count its DCGM-style metrics report (0 clears)')
    .argument('<url>')
    .requiredOption('--xid <n>', 'Xid errors', numberFlag('--xid', { integer: true, min: 0 }))
    .action(async (url: string, o: { xid: number }) => void process.stdout.write((await adminCall(url, 'POST', '/admin/gpu', { xid: o.xid })) + '\n'));
  cmd
    .command('stats')
    .description('requests received and completed, per mode')
    .argument('<url>')
    .action(async (url: string) => void process.stdout.write((await adminCall(url, 'GET', '/admin/stats')) + '\n'));
}
