// Benchmark: the CPU one hop spends per streamed token, without sockets — the part of the entry
// path's cost that is this code's and not Node's HTTP stack. A replica's 32-token answer, in
// chunks as the network delivers them, forwarded (a) as before: decoded to text, every event
// parsed (SseParser + JSON.parse), the client chunk re-serialised (JSON.stringify), a timer
// cancelled and re-armed per token; (b) as now: framed as Buffers (SseFramer), token events
// scanned (scanTokenEvent), the upstream literal written into a cached head (TokenChunks), one
// lazy deadline per stream. CPU µs per token (process.cpuUsage, so contention inflates wall
// time, not the figure much), best of 5 rounds.
// `npm run bench -- sse-forwarding`
import { realClock } from '../src/core/clock.js';
import { SseParser, sseData } from '../src/protocol/sse.js';
import { SseFramer, isDoneData } from '../src/protocol/sse-framer.js';
import { scanTokenEvent } from '../src/protocol/sse-token.js';
import { TokenChunks } from '../src/gateway/regional/openai-sinks.js';
import { StreamDeadline } from '../src/gateway/regional/stream-deadline.js';
import { tokenAt } from '../src/protocol/tokens.js';

const TOKENS = 32;
const STREAMS = 4000;

function replicaStream(seed: number): Buffer[] {
  const chunk = (delta: Record<string, unknown>, finish: string | null) =>
    sseData({ id: `chatcmpl-${seed}`, object: 'chat.completion.chunk', created: 1700000000, model: 'llama-3-8b-instruct', system_fingerprint: 'v1', choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }] });
  const events = [chunk({ role: 'assistant', content: '' }, null)];
  for (let i = 0; i < TOKENS; i++) events.push(chunk({ content: tokenAt('v1', seed, seed, i) }, null));
  events.push(chunk({}, 'stop'), sseData({ id: 'x', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [], usage: { prompt_tokens: 40, completion_tokens: TOKENS, total_tokens: 72 } }), sseData('[DONE]'));
  return events.map((e) => Buffer.from(e));
}

interface Chunk {
  choices?: { delta?: { content?: string }; finish_reason?: string | null }[];
  system_fingerprint?: string;
  model?: string;
}

function before(stream: readonly Buffer[], out: Buffer[]): void {
  const parser = new SseParser();
  let timer = realClock.setTimer(1000, () => undefined);
  for (const b of stream) {
    for (const data of parser.push(b.toString('utf8'))) {
      if (data === '[DONE]') continue;
      const c = JSON.parse(data) as Chunk;
      const content = c.choices?.[0]?.delta?.content;
      if (!content) continue;
      timer.cancel();
      timer = realClock.setTimer(1000, () => undefined);
      out.push(Buffer.from(sseData({ id: 'chatcmpl-client', object: 'chat.completion.chunk', created: 1700000001, model: 'llama-3-8b-instruct', system_fingerprint: c.system_fingerprint ?? null, choices: [{ index: 0, delta: { content }, finish_reason: null }] })));
    }
  }
  timer.cancel();
}

function after(stream: readonly Buffer[], out: Buffer[]): void {
  const framer = new SseFramer();
  const chunks = new TokenChunks('chatcmpl-client', 1700000001);
  const deadline = new StreamDeadline(realClock, 1000, 'timeout', () => undefined);
  for (const b of stream) {
    for (const data of framer.push(b)) {
      if (isDoneData(data)) continue;
      const token = scanTokenEvent(data);
      if (token) {
        deadline.touch(1000, 'timeout');
        out.push(chunks.chunk('llama-3-8b-instruct', token.fingerprint, token.literal));
        continue;
      }
      const c = JSON.parse(data.toString('utf8')) as Chunk;
      if (c.choices?.[0]?.delta?.content) throw new Error('a token event was not recognised');
    }
  }
  deadline.stop();
}

function cpuUsPerToken(fn: (s: readonly Buffer[], out: Buffer[]) => void, streams: readonly Buffer[][]): number {
  let best = Infinity;
  for (let round = 0; round < 5; round++) {
    const out: Buffer[] = [];
    const t0 = process.cpuUsage();
    for (const s of streams) fn(s, out);
    const used = process.cpuUsage(t0);
    best = Math.min(best, (used.user + used.system) / (streams.length * TOKENS));
    if (out.length !== streams.length * TOKENS) throw new Error(`forwarded ${out.length} tokens, expected ${streams.length * TOKENS}`);
  }
  return best;
}

export async function benchSseForwarding(): Promise<void> {
  const streams = Array.from({ length: STREAMS }, (_, i) => replicaStream(i));
  // the outputs agree byte for byte where the token needs no escaping difference
  const a: Buffer[] = [];
  const b: Buffer[] = [];
  before(streams[0]!, a);
  after(streams[0]!, b);
  if (Buffer.concat(a).compare(Buffer.concat(b)) !== 0) throw new Error('the two forwarding paths wrote different bytes');
  cpuUsPerToken(before, streams.slice(0, 200));
  cpuUsPerToken(after, streams.slice(0, 200));
  const old = cpuUsPerToken(before, streams);
  const now = cpuUsPerToken(after, streams);
  process.stdout.write(`per forwarded token (CPU µs, best of 5 × ${STREAMS} streams of ${TOKENS} tokens): parse + re-serialise + timer per token ${old.toFixed(2)}, byte forwarding + lazy deadline ${now.toFixed(2)} (${(old / now).toFixed(1)}× less); per 32-token answer ${((old * TOKENS) / 1000).toFixed(3)} ms → ${((now * TOKENS) / 1000).toFixed(3)} ms (load average ${(await import('node:fs')).readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')})\n`);
}
