// `halab baseline <run-dir>` and `halab gate <run-dir> --baseline <file>`: regression gates for CI.
import type { Command } from 'commander';
import { EXIT } from '../../core/exit-codes.js';
import { defaultBaselineFile, gate, headlineFigures, makeBaseline, readBaseline, writeBaseline } from '../../report/baseline.js';
import { buildRunReport } from '../../report/run-report.js';

const show = (v: number | null): string => (v === null ? 'n/a' : Number.isInteger(v) ? String(v) : v.toFixed(6).replace(/0+$/, ''));

export function registerBaseline(program: Command): void {
  program
    .command('baseline')
    .description('write a baseline from a run directory (default reports/baselines/<scenario>.json)')
    .argument('<run-dir>', 'a directory written by `halab run`')
    .option('--out <file>', 'baseline file')
    .action((dir: string, opts: { out?: string }) => {
      const report = buildRunReport(dir);
      const file = opts.out ?? defaultBaselineFile(report.scenario.name);
      writeBaseline(file, makeBaseline(report, dir));
      process.stdout.write(`baseline for ${report.scenario.name} written to ${file}\n`);
    });
}

export function registerGate(program: Command): void {
  program
    .command('gate')
    .description('compare a run with a baseline; exit 1 when a metric regressed beyond its tolerance')
    .argument('<run-dir>', 'a directory written by `halab run`')
    .option('--baseline <file>', 'baseline file (default reports/baselines/<scenario>.json)')
    .option('--json', 'print JSON')
    .action((dir: string, opts: { baseline?: string; json?: boolean }) => {
      const report = buildRunReport(dir);
      const file = opts.baseline ?? defaultBaselineFile(report.scenario.name);
      const result = gate(headlineFigures(report), readBaseline(file));
      if (opts.json) process.stdout.write(JSON.stringify({ baseline: file, ...result }, null, 2) + '\n');
      else {
        process.stdout.write(`${result.pass ? 'PASS' : 'REGRESSION'}  ${report.scenario.name} against ${file}\n`);
        for (const r of result.rows) {
          const verdict = r.regressed ? `REGRESSED${r.by !== undefined ? ` by ${show(r.by)}` : ' (not measured)'}` : 'ok';
          process.stdout.write(`  ${r.metric.padEnd(18)} baseline ${show(r.baseline).padStart(10)}  now ${show(r.actual).padStart(10)}  limit ${show(r.limit).padStart(10)}  ${verdict}\n`);
        }
      }
      process.exitCode = result.pass ? EXIT.ok : EXIT.failed;
    });
}
