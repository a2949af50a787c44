// `halab deploy <model-version> --strategy rolling|blue-green|canary [options]` against the running
// lab: starts the deployment on the control plane, prints every step, and waits for the outcome.
// Exit 0 when the new version is fully rolled out, 1 when it was rolled back, 2 on bad input, 3
// when the deployment failed without a clean rollback (or the control plane did not answer).
import type { Command } from 'commander';
import { realClock } from '../../core/clock.js';
import { HalabError } from '../../core/errors.js';
import { EXIT } from '../../core/exit-codes.js';
import { formatMs, parseDurationMs } from '../../core/duration.js';
import { requireLabState } from '../../process/lab-state.js';
import { labPaths } from '../../process/paths.js';
import { startDeploy, watchDeploy, type DeployStatusMsg } from '../../lab/deploy-client.js';
import type { DeployOptions } from '../../gen/halab/v1/DeployOptions.js';

export interface DeployFlags {
  strategy: string;
  behaviour?: string;
  drain?: string;
  verifyTimeout?: string;
  watchTime?: string;
  canaryShare?: string;
  canaryReplicas?: string;
  canaryTime?: string;
  analysisWindow?: string;
  sampleInterval?: string;
  steps?: string;
  stepTime?: string;
  keepBlue?: string;
  rollbackScope?: string;
  json?: boolean;
}

/** A share as "10%", "10" (percent when > 1) or "0.1". */
export function parseShare(text: string, what: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(%?)\s*$/.exec(text);
  if (!m) throw new HalabError('USAGE', `${what}: expected a share like 10%, 10 or 0.1, not "${text}"`);
  const v = Number(m[1]);
  return m[2] === '%' || v > 1 ? v / 100 : v;
}

export function deployOptions(f: Omit<DeployFlags, 'strategy' | 'json' | 'behaviour'>): DeployOptions {
  const d = (v: string | undefined): number | undefined => (v === undefined ? undefined : parseDurationMs(v));
  const o: Record<string, unknown> = {
    drainMs: d(f.drain),
    verifyTimeoutMs: d(f.verifyTimeout),
    watchMs: d(f.watchTime),
    canaryShare: f.canaryShare === undefined ? undefined : parseShare(f.canaryShare, '--canary-share'),
    canaryReplicas: f.canaryReplicas === undefined ? undefined : Number(f.canaryReplicas),
    canaryMs: d(f.canaryTime),
    analysisMs: d(f.analysisWindow),
    sampleIntervalMs: d(f.sampleInterval),
    steps: f.steps === undefined ? undefined : f.steps.split(',').map((s) => parseShare(s, '--steps')),
    stepMs: d(f.stepTime),
    keepBlueMs: d(f.keepBlue),
    rollbackScope: f.rollbackScope,
  };
  if (o.canaryReplicas !== undefined && !Number.isInteger(o.canaryReplicas)) throw new HalabError('USAGE', `--canary-replicas: expected an integer, not "${f.canaryReplicas}"`);
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as DeployOptions;
}

function stepLine(s: DeployStatusMsg['steps'][number], t0: number): string {
  return `+${formatMs(s.atMs - t0).padStart(7)}  ${s.type.replace(/^deploy\./, '').padEnd(18)} ${s.subject}${s.reason ? `: ${s.reason}` : ''}`;
}

export function deployExitCode(state: string): number {
  return state === 'succeeded' ? EXIT.ok : state === 'rolled-back' ? EXIT.failed : EXIT.internal;
}

export function registerDeploy(program: Command): void {
  program
    .command('deploy')
    .description('deploy a model version to the running lab and wait: exit 0 rolled out, 1 rolled back, 2 bad input')
    .argument('<model-version>', 'the version to deploy, e.g. v2')
    .option('--strategy <s>', 'rolling | blue-green | canary', 'rolling')
    .option('--behaviour <b>', 'how the version behaves on stand-in replicas: ok | crash-on-load | slow | corrupt | error-rate', 'ok')
    .option('--drain <d>', 'bound on draining a replica (default 60s)')
    .option('--verify-timeout <d>', 'bound on a replica becoming healthy on the new version (default 5m)')
    .option('--watch-time <d>', 'how long each updated replica is watched (default 5m)')
    .option('--canary-share <p>', 'canary share of new requests (default 10%)')
    .option('--canary-replicas <n>', 'canary replicas per region (default 1)')
    .option('--canary-time <d>', 'longest canary analysis before promotion (default 10m)')
    .option('--analysis-window <d>', 'canary / SLO analysis window (default 1m)')
    .option('--sample-interval <d>', 'one synthetic request per group this often (default 250ms)')
    .option('--steps <list>', 'blue-green traffic steps (default 10,50,100)')
    .option('--step-time <d>', 'time at each blue-green traffic step (default 10m)')
    .option('--keep-blue <d>', 'blue kept after 100% before it is retired (default 1h)')
    .option('--rollback-scope <s>', 'all | replica: on failure roll back every updated replica or only the failing one (default all)')
    .option('--json', 'print the final status as JSON')
    .action(async (version: string, flags: DeployFlags) => {
      const state = requireLabState(labPaths());
      const options = deployOptions(flags);
      const started = await startDeploy(state.controlPlane!, { modelVersion: version, strategy: flags.strategy, behaviour: flags.behaviour ?? 'ok', options }, realClock);
      const t0 = started.startedAtMs;
      if (!flags.json) process.stderr.write(`${started.deployId}: ${started.strategy} ${started.fromVersion} -> ${started.modelVersion}\n`);
      let printed = 0;
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      const final = await watchDeploy(
        state.controlPlane!,
        started.deployId,
        (s) => {
          if (flags.json) return;
          for (const step of s.steps.slice(printed)) process.stderr.write(stepLine(step, t0) + '\n');
          printed = s.steps.length;
        },
        controller.signal,
      )
        .catch((err: unknown) => {
          if (!controller.signal.aborted) throw err;
          process.stderr.write(`stopped waiting; ${started.deployId} goes on in the control plane (\`halab status\` shows each replica's version)\n`);
          return undefined;
        })
        .finally(() => process.removeListener('SIGINT', onSignal));
      if (!final) {
        process.exitCode = EXIT.interrupted;
        return;
      }
      if (flags.json) process.stdout.write(JSON.stringify({ ...final, steps: final.steps.map((s) => ({ ...s, data: s.dataJson ? JSON.parse(s.dataJson) : undefined, dataJson: undefined })) }, null, 2) + '\n');
      else process.stdout.write(`${final.state.toUpperCase()}: ${final.reason} (${formatMs(final.endedAtMs - final.startedAtMs)})\n`);
      process.exitCode = deployExitCode(final.state);
    });
}
