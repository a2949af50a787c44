// Benchmark: each replica fault injected on a serving replica of the default two-region lab under
// 20 streaming requests/s, through the real `halab run` path. Prints, per fault: how long until the
// faulty replica left routing, detection time, the worst time to first token during the fault,
// requests resumed mid-stream, and failed/truncated/wrong requests.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { loadScenario } from '../src/config/scenario.js';
import { runScenario } from '../src/run/runner.js';
import { labPaths } from '../src/process/paths.js';

const SCENARIOS = ['replica-crash', 'gpu-xid', 'stream-cut', 'replica-hang', 'corrupt-model'];

export async function benchReplicaFaults(names: readonly string[] = SCENARIOS): Promise<void> {
  const home = mkdtempSync(join(tmpdir(), 'halab-bench-'));
  const rows: string[] = [];
  for (const name of names) {
    const file = join('scenarios', `${name}.yaml`);
    const scenario = loadScenario(file);
    const result = await runScenario({
      scenario,
      scenarioFile: file,
      seed: scenario.seed,
      outDir: join(home, name),
      paths: labPaths(join(home, 'lab-home')),
      clock: realClock,
      signal: new AbortController().signal,
      log: () => undefined,
    });
    const q = result.report.metrics.requests;
    for (const f of result.report.faults) {
      rows.push(
        [
          f.kind.padEnd(19),
          String(f.failoverMs ?? '-').padStart(9),
          String(f.detectionMs ?? '-').padStart(10),
          String(f.worstTtftMs ?? '-').padStart(11),
          String(f.resumedRequests).padStart(8),
          `${q.failed}/${q.truncated}/${q.wrongAnswers}`.padStart(17),
          String(q.total).padStart(9),
          result.report.verdict.pass ? 'pass' : 'FAIL',
        ].join('  '),
      );
    }
    process.stderr.write(`${name}: done (${result.runDir})\n`);
  }
  process.stdout.write(
    ['fault                left-routing  detection  worst TTFT  resumed  failed/trunc/wrong  requests  verdict', ...rows].join('\n') + '\n(ms; 20 streaming req/s, default two-region topology)\n',
  );
}
