// Benchmark `fidelity`: the same faults and rolling deploy (scenarios/real-engine-faults.yaml) on
// real llama.cpp engines and on stand-ins of the same shape, through the real `halab run` path;
// prints per fault, side by side, detection, failover, worst TTFT and failed/truncated requests,
// and the run's TTFT p99 (src/report/fidelity.ts: the table `halab report --fidelity` prints), so a
// user sees where the stand-in is faithful and where it is not. `fidelity-containers` runs the
// container twins instead (needs Docker and the lab image: scripts/setup-docker.sh).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { loadScenario } from '../src/config/scenario.js';
import { runScenario } from '../src/run/runner.js';
import { labPaths } from '../src/process/paths.js';
import { cliLabAuth } from '../src/process/lab-secret.js';
import { useLabAuth } from '../src/protocol/lab-auth.js';
import { fidelityFigures, fidelityTable, type FidelityFigures } from '../src/report/fidelity.js';

const PAIRS = {
  hosts: { real: 'real-engine-faults', standin: 'real-engine-faults-standin' },
  containers: { real: 'real-engine-faults-container', standin: 'container-standin-faults' },
} as const;

async function run(name: string, home: string): Promise<FidelityFigures> {
  const file = join('scenarios', `${name}.yaml`);
  const scenario = loadScenario(file);
  const paths = labPaths(join(home, 'lab-home'));
  // the lab's components answer only callers with the lab's token (as the CLI does: src/cli/main.ts)
  useLabAuth(cliLabAuth(paths.labDir));
  const result = await runScenario({ scenario, scenarioFile: file, seed: scenario.seed, outDir: join(home, name), paths, clock: realClock, signal: new AbortController().signal, log: () => undefined });
  process.stderr.write(`${name}: done (${result.runDir})\n`);
  return fidelityFigures(result.report);
}

export async function benchFidelity(which: keyof typeof PAIRS = 'hosts'): Promise<void> {
  const pair = PAIRS[which];
  const home = mkdtempSync(join(tmpdir(), 'halab-fidelity-'));
  const real = await run(pair.real, home);
  const standin = await run(pair.standin, home);
  process.stdout.write(`${fidelityTable(real, standin)}\n(real llama.cpp engines / stand-ins${which === 'containers' ? ', every replica in a container' : ''}; 5 streaming req/s; one region, 3 primary + 1 backup)\n`);
}
