// `halab report <run-dir>`: recompute report.json and report.md from the run's raw records.
import type { Command } from 'commander';
import { EXIT } from '../../core/exit-codes.js';
import { formatSummary, writeRunReport } from '../../report/run-report.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('recompute a run directory\'s report from its raw records; exit 0 when every target was met')
    .argument('<run-dir>', 'a directory written by `halab run`')
    .option('--json', 'print report.json')
    .action((dir: string, opts: { json?: boolean }) => {
      const report = writeRunReport(dir);
      process.stdout.write((opts.json ? JSON.stringify(report, null, 2) : formatSummary(report)) + '\n');
      process.exitCode = report.verdict.pass ? EXIT.ok : EXIT.failed;
    });
}
