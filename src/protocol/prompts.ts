// Deterministic prompts for load: request i of a seed always asks the same question, so its
// expected answer can be computed independently of the service.
import { createRng } from '../core/rng.js';
import type { ChatMessage } from './tokens.js';

const TOPICS = ['failover', 'replication', 'batching', 'latency', 'capacity', 'incidents', 'deploys', 'backups', 'quorums', 'caching'];
const FILLER = 'please explain in detail how a highly available inference service keeps answering while parts of it fail'.split(' ');

/** The messages of request `index` under `seed`, about promptTokens words long. */
export function promptFor(seed: number, index: number, promptTokens: number): ChatMessage[] {
  const rng = createRng(`${seed}/prompt/${index}`);
  const words: string[] = [`request ${index} about ${rng.pick(TOPICS)}:`];
  while (words.length < Math.max(1, promptTokens - 4)) words.push(rng.pick(FILLER));
  return [{ role: 'user', content: words.join(' ') }];
}

/** The per-request generation seed. */
export function seedFor(seed: number, index: number): number {
  return createRng(`${seed}/seed/${index}`).int(0, 2 ** 31 - 1);
}
