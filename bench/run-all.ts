// `npm run bench [-- name...]`: runs the benchmarks and prints their figures.
import { benchReplicaFaults } from './replica-faults.js';
import { benchSimYears } from './sim-years.js';
import { benchUpstreamMisbehaviour } from './upstream-misbehaviour.js';
import { benchStateStore } from './state-store.js';
import { benchLabAuth } from './lab-auth.js';
import { benchFidelity } from './fidelity.js';
import { benchGatePower } from './gate-power.js';
import { benchEntrypointCapacity } from './entrypoint-capacity.js';
import { benchVoprSweep } from './vopr-sweep.js';
import { benchBurstMemory } from './burst-memory.js';
import { benchEntryPath } from './entry-path.js';
import { benchSseForwarding } from './sse-forwarding.js';
import { benchLabScale } from './lab-scale.js';

const BENCHES: Record<string, () => Promise<void>> = {
  'sim-years': () => benchSimYears(),
  'replica-faults': () => benchReplicaFaults(),
  'upstream-misbehaviour': () => benchUpstreamMisbehaviour(),
  'state-store': () => benchStateStore(),
  'lab-auth': () => benchLabAuth(),
  fidelity: () => benchFidelity(),
  'fidelity-containers': () => benchFidelity('containers'),
  'gate-power': () => benchGatePower(),
  'entrypoint-capacity': () => benchEntrypointCapacity(),
  'vopr-sweep': () => benchVoprSweep(),
  'burst-memory': () => benchBurstMemory(),
  'entry-path': () => benchEntryPath(),
  'sse-forwarding': () => benchSseForwarding(),
  'lab-scale': () => benchLabScale(),
};

const wanted = process.argv.slice(2);
for (const name of wanted.length ? wanted : Object.keys(BENCHES)) {
  const bench = BENCHES[name];
  if (!bench) {
    process.stderr.write(`unknown benchmark "${name}"; known: ${Object.keys(BENCHES).join(', ')}\n`);
    process.exit(2);
  }
  process.stdout.write(`\n== ${name}\n`);
  await bench();
}
