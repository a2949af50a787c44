// Repeated runs of one scenario with the same seed (same fault schedule and token streams), so
// what differs between them is the lab's own timing noise: `halab run --repeat N` and
// `halab baseline <scenario> --runs N` use it. Runs go to <outRoot>/run-<i>/.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { realClock } from '../core/clock.js';
import type { Scenario } from '../config/scenario.js';
import { RUN_FILES, type RunReport } from '../report/run-report.js';
import { runScenario } from './runner.js';
import { labPaths } from '../process/paths.js';
import type { Lockstep } from './lockstep.js';

export interface RepeatOptions {
  readonly scenario: Scenario;
  readonly scenarioFile: string;
  readonly seed: number;
  readonly runs: number;
  readonly outRoot: string;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Called after each run with its report. */
  readonly onRun?: (report: RunReport, runDir: string, index: number) => void;
  /** Parallel labs (src/run/parallel-labs.ts): the lab's loopback address block. */
  readonly worker?: number;
  /** Parallel labs: every run starts and loads in lock-step with the other labs. */
  readonly lockstep?: Lockstep;
}

export interface RepeatResult {
  readonly runDirs: readonly string[];
  readonly reports: readonly RunReport[];
  readonly interrupted: boolean;
}

export async function runRepeated(opts: RepeatOptions): Promise<RepeatResult> {
  const runDirs: string[] = [];
  const reports: RunReport[] = [];
  let interrupted = false;
  for (let i = 1; i <= opts.runs && !opts.signal.aborted; i++) {
    const result = await runScenario({
      scenario: opts.scenario,
      scenarioFile: opts.scenarioFile,
      seed: opts.seed,
      outDir: join(opts.outRoot, `run-${i}`),
      paths: labPaths(),
      clock: realClock,
      signal: opts.signal,
      log: opts.log,
      ...(opts.worker ? { worker: opts.worker } : {}),
      ...(opts.lockstep ? { lockstep: opts.lockstep } : {}),
    });
    runDirs.push(result.runDir);
    reports.push(result.report);
    interrupted ||= result.interrupted;
    opts.onRun?.(result.report, result.runDir, i);
  }
  return { runDirs, reports, interrupted };
}

/** Run directories under a path: the path itself when it is one, else its run-<i>/ (or any) subdirectories that are. */
export function runDirsIn(path: string): string[] {
  if (existsSync(join(path, RUN_FILES.meta))) return [path];
  if (!existsSync(path) || !statSync(path).isDirectory()) return [];
  return readdirSync(path)
    .map((d) => join(path, d))
    .filter((d) => statSync(d).isDirectory() && existsSync(join(d, RUN_FILES.meta)))
    .sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
}
