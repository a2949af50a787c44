// `halab simulate --check` and `halab simulate --replay <seed>`: the virtual-time harness's seed
// sweep (every violated invariant with the seed that reproduces it) and one seed's full trace.
import { EXIT } from '../../core/exit-codes.js';
import type { Topology } from '../../config/topology.js';
import { runSeed } from '../../sim/harness/harness.js';
import { sweep } from '../../sim/harness/sweep.js';
import { realClock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import { FAILOVER_POLICIES } from '../../sim/harness/broken-policies.js';
import type { stepFailover } from '../../policy/failover.js';

/** The failover policy named on the command line (`live`, or a deliberately broken one). */
export function failoverPolicy(name: string): typeof stepFailover {
  const step = FAILOVER_POLICIES[name];
  if (!step) throw new HalabError('USAGE', `--failover-policy must be one of ${Object.keys(FAILOVER_POLICIES).join(', ')}, got "${name}"`);
  return step;
}

const out: string[] = [];
const line = (s = ''): void => void out.push(s);
/** Writes what was collected and resolves once stdout has taken it (the CLI exits right after). */
function flush(): Promise<void> {
  const text = out.splice(0).map((l) => l + '\n').join('');
  return new Promise((resolve) => process.stdout.write(text, () => resolve()));
}

export async function checkCommand(topology: Topology, opts: { seeds: number; firstSeed: number; json: boolean; policy: string }): Promise<void> {
  const failoverStep = failoverPolicy(opts.policy);
  const t0 = realClock.monoMs();
  const result = await sweep({ topology, seeds: opts.seeds, firstSeed: opts.firstSeed, failoverStep });
  const wallS = (realClock.monoMs() - t0) / 1000;
  if (result.violations.length > 0) process.exitCode = EXIT.failed;
  if (opts.json) {
    line(JSON.stringify({ ...result, wallS }, null, 2));
    return flush();
  }
  const simMin = result.simulatedMs / 60_000;
  line(`${result.seeds} seeds (${opts.firstSeed}..${opts.firstSeed + result.seeds - 1}) of ${topology.file}: ${result.faults} faults, ${simMin.toFixed(0)} simulated minutes in ${wallS.toFixed(1)} s`);
  line(`client requests: ${result.requests.served}/${result.requests.total} served, ${result.requests.failed} failed, ${result.requests.wrong} wrong answers`);
  for (const v of result.violations) line(`VIOLATED ${v.check} (seed ${v.seed}, t=${v.atMs}ms): ${v.message}`);
  if (result.violations.length === 0) line('every invariant held on every seed');
  else line(`replay one with: halab simulate ${topology.file} --replay <seed>${opts.policy !== 'live' ? ` --failover-policy ${opts.policy}` : ''}`);
  return flush();
}

export async function replayCommand(topology: Topology, seed: number, json: boolean, policy: string): Promise<void> {
  const r = await runSeed({ topology, seed, keepTrace: true, failoverStep: failoverPolicy(policy) });
  if (r.violations.length > 0) process.exitCode = EXIT.failed;
  if (json) {
    line(JSON.stringify(r, null, 2));
    return flush();
  }
  for (const l of r.trace ?? []) line(l);
  line(`seed ${seed}: ${r.traceEvents} trace lines, hash ${r.traceHash}; ${r.requests.served}/${r.requests.total} client requests served`);
  for (const v of r.violations) line(`VIOLATED ${v.check} (t=${v.atMs}ms): ${v.message}`);
  if (r.violations.length === 0) line('every invariant held');
  return flush();
}
