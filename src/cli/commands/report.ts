// `halab report <run-dir>`: recompute report.json and report.md from the run's raw records. With
// `--fidelity <other-run-dir>`: also the fidelity table of the two runs (the same scenario on two
// runtimes, e.g. real engines and stand-ins), printed and written to <run-dir>/fidelity.md.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { EXIT } from '../../core/exit-codes.js';
import { fidelityFigures, fidelityTable } from '../../report/fidelity.js';
import { buildRunReport, formatSummary, writeRunReport } from '../../report/run-report.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('recompute a run directory\'s report from its raw records; exit 0 when every target was met')
    .argument('<run-dir>', 'a directory written by `halab run`')
    .option('--json', 'print report.json')
    .option('--fidelity <other-run-dir>', 'also compare with another run of the same faults (e.g. stand-ins vs real engines): prints the fidelity table and writes <run-dir>/fidelity.md')
    .action((dir: string, opts: { json?: boolean; fidelity?: string }) => {
      const report = writeRunReport(dir);
      const other = opts.fidelity ? buildRunReport(opts.fidelity) : undefined;
      const table = other ? fidelityTable(fidelityFigures(report), fidelityFigures(other)) : undefined;
      if (table) writeFileSync(join(dir, 'fidelity.md'), `${table}\n\n(left: ${dir}; right: ${opts.fidelity})\n`);
      if (opts.json) process.stdout.write(JSON.stringify(other ? { ...report, fidelity: { left: fidelityFigures(report), right: fidelityFigures(other) } } : report, null, 2) + '\n');
      else process.stdout.write(formatSummary(report) + (table ? `\n\n${table}\n` : '') + '\n');
      process.exitCode = report.verdict.pass ? EXIT.ok : EXIT.failed;
    });
}
