// The deployment's own client (I/O edge of the canary judge and the green SLO check): streaming
// requests sent straight to the replicas of a group, one per interval, each measured for time to
// first token and inter-token latency and checked against the deterministic answer of the
// version the group SHOULD run (never the version a replica claims).
import { Agent, request } from 'undici';
import type { Clock } from '../../core/clock.js';
import { SseParser } from '../../protocol/sse.js';
import { expectedAnswer } from '../../protocol/tokens.js';
import { promptFor, seedFor } from '../../protocol/prompts.js';
import type { Sample } from '../../policy/rollout-actions.js';

const SAMPLE_MAX_TOKENS = 24;
const SAMPLE_PROMPT_TOKENS = 24;
const SAMPLE_TIMEOUT_MS = 5000;

export class DeploySampler {
  private readonly dispatcher = new Agent({ connections: 64, keepAliveTimeout: 10_000 });
  private seq = 0;

  constructor(
    private readonly clock: Clock,
    private readonly modelName: string,
    private readonly seed: number,
    /** Whether the client can know a replica's answers (a stand-in's; not a real engine's). */
    private readonly answersKnown: (replicaId: string) => boolean = () => true,
  ) {}

  /** One request to `httpUrl`; never rejects. */
  async sample(httpUrl: string, version: string, replicaId = ''): Promise<Sample> {
    const index = this.seq++;
    const messages = promptFor(this.seed, index, SAMPLE_PROMPT_TOKENS);
    const seed = seedFor(this.seed, index);
    const expected = this.answersKnown(replicaId) ? expectedAnswer(version, messages, seed, SAMPLE_MAX_TOKENS).tokens.join('') : undefined;
    const controller = new AbortController();
    const timer = this.clock.setTimer(SAMPLE_TIMEOUT_MS, () => controller.abort(new Error('timeout')));
    const started = this.clock.monoMs();
    let first: number | undefined;
    let last = 0;
    let tokens = 0;
    let text = '';
    let finished = false;
    try {
      const res = await request(`${httpUrl}/v1/chat/completions`, {
        method: 'POST',
        dispatcher: this.dispatcher,
        headers: { 'content-type': 'application/json', 'x-halab-deploy-sample': '1' },
        body: JSON.stringify({ model: this.modelName, messages, seed, max_tokens: SAMPLE_MAX_TOKENS, temperature: 0, stream: true }),
        signal: controller.signal,
      });
      if (res.statusCode !== 200) {
        await res.body.dump();
        return { ok: false, correct: null };
      }
      const parser = new SseParser();
      res.body.setEncoding('utf8');
      for await (const chunk of res.body as AsyncIterable<string>) {
        for (const data of parser.push(chunk)) {
          if (data === '[DONE]') continue;
          const c = JSON.parse(data) as { error?: unknown; choices?: { delta?: { content?: string }; finish_reason?: string | null }[] };
          if (c.error) return { ok: false, correct: null };
          const content = c.choices?.[0]?.delta?.content;
          if (content) {
            const now = this.clock.monoMs();
            if (first === undefined) first = now;
            last = now;
            tokens += 1;
            text += content;
          }
          if (c.choices?.[0]?.finish_reason) finished = true;
        }
      }
      if (!finished) return { ok: false, correct: null };
      return {
        ok: true,
        correct: expected === undefined ? null : text === expected,
        ...(first !== undefined ? { ttftMs: first - started } : {}),
        ...(tokens > 1 ? { itlMs: (last - first!) / (tokens - 1) } : {}),
      };
    } catch {
      return { ok: false, correct: null };
    } finally {
      timer.cancel();
    }
  }

  close(): void {
    void this.dispatcher.close().catch(() => undefined);
  }
}
