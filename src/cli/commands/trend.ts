// `halab trend <run-dirs…> [--out file.html]`: each gated metric across runs (in start order), the
// baseline band and every run's gate verdict, on one self-contained HTML page.
import type { Command } from 'commander';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { HalabError } from '../../core/errors.js';
import { defaultBaselineFile, makeBaseline, readBaseline } from '../../report/baseline.js';
import { DEFAULT_GATE_ALPHA, gateRuns } from '../../report/gate.js';
import { observeRunDir, type RunObservation } from '../../report/gate-observe.js';
import { RUN_FILES, type RunMeta } from '../../report/run-report.js';
import { renderTrendHtml, type TrendScenario } from '../../report/trend-html.js';
import { runDirsIn } from '../../run/repeat.js';

export function registerTrend(program: Command): void {
  program
    .command('trend')
    .description('write an HTML page of every gated metric across runs, with the baseline band and gate verdicts')
    .argument('<run-dirs...>', 'run directories (a directory of run directories counts as its runs)')
    .option('--out <file>', 'HTML file', 'trend.html')
    .option('--baseline <file>', 'baseline file (one scenario only; default reports/baselines/<scenario>.json)')
    .action((paths: string[], opts: { out: string; baseline?: string }) => {
      const runs: { dir: string; startedAtMs: number; obs: RunObservation }[] = [];
      for (const p of paths) {
        const dirs = runDirsIn(p);
        if (dirs.length === 0) throw new HalabError('NOT_FOUND', `${p} is not a run directory (no meta.json in it or its subdirectories)`);
        for (const dir of dirs) {
          const meta = JSON.parse(readFileSync(join(dir, RUN_FILES.meta), 'utf8')) as RunMeta;
          runs.push({ dir, startedAtMs: meta.startedAtMs, obs: observeRunDir(dir) });
        }
      }
      runs.sort((a, b) => a.startedAtMs - b.startedAtMs);
      const scenarios = [...new Set(runs.map((r) => r.obs.scenario))];
      if (opts.baseline && scenarios.length > 1) throw new HalabError('USAGE', `--baseline names one file, but the runs are of ${scenarios.length} scenarios`);
      const doc: TrendScenario[] = scenarios.map((scenario) => {
        const mine = runs.filter((r) => r.obs.scenario === scenario);
        const file = opts.baseline ?? defaultBaselineFile(scenario);
        const has = existsSync(file);
        const baseline = has ? readBaseline(file) : makeBaseline(mine.map((r) => r.obs), mine.map((r) => r.dir));
        return {
          scenario,
          baselineFile: has ? file : null,
          runs: mine.map((r) => ({ label: basename(r.dir), startedAtMs: r.startedAtMs, gate: gateRuns([r.obs], baseline, { alpha: DEFAULT_GATE_ALPHA }) })),
        };
      });
      mkdirSync(dirname(opts.out), { recursive: true });
      writeFileSync(opts.out, renderTrendHtml(doc));
      const regressed = doc.reduce((n, s) => n + s.runs.filter((r) => !r.gate.pass).length, 0);
      process.stdout.write(`trend of ${runs.length} run(s) of ${scenarios.length} scenario(s) written to ${opts.out}; ${regressed} run(s) regressed${doc.some((s) => !s.baselineFile) ? ' (scenarios without a baseline file are gated against their runs pooled)' : ''}\n`);
    });
}
