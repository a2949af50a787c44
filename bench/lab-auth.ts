// Benchmark: the cost of lab authentication per call — verifying a caller's token the first time
// (one HMAC-SHA256 and a constant-time compare), every later time (a cache lookup), and refusing a
// token minted under another secret.
import { randomBytes } from 'node:crypto';
import { realClock } from '../src/core/clock.js';
import { labAuthFrom, mintToken } from '../src/protocol/lab-auth.js';

function usPerCall(n: number, fn: () => unknown): number {
  const t0 = realClock.monoMs();
  for (let i = 0; i < n; i++) fn();
  return ((realClock.monoMs() - t0) * 1000) / n;
}

export async function benchLabAuth(): Promise<void> {
  const secret = randomBytes(32);
  const tokens = Array.from({ length: 500 }, (_, i) => mintToken(secret, `replica/us-east-1/primary/${i}`));
  let i = 0;
  const first = usPerCall(tokens.length, () => labAuthFrom(secret, 'controlplane').verify(tokens[i++]));
  const auth = labAuthFrom(secret, 'controlplane');
  auth.verify(tokens[0]);
  const cached = usPerCall(200_000, () => auth.verify(tokens[0]));
  const foreign = mintToken(randomBytes(32), 'cli');
  const refused = usPerCall(20_000, () => auth.verify(foreign));
  process.stdout.write(`first verification (fresh verifier) ${first.toFixed(1)} µs/call; cached ${cached.toFixed(2)} µs/call; refusing a foreign token ${refused.toFixed(1)} µs/call\n`);
  await Promise.resolve();
}
