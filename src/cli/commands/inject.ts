// `halab inject <fault> <target> [--for d]` and `halab heal [<fault-id> | --all]` on a running lab.
import type { Command } from 'commander';
import { realClock } from '../../core/clock.js';
import { parsePositiveDurationMs } from '../../core/duration.js';
import { HalabError } from '../../core/errors.js';
import { numberFlag } from './number-flags.js';
import { fileEventSink } from '../../record/events.js';
import { EV } from '../../record/event-types.js';
import { loadTopology } from '../../config/topology.js';
import { readFaults, writeFaults, type ActiveFault } from '../../chaos/faults-store.js';
import { healFault, injectFault, resolveFault, type FaultParams } from '../../chaos/injectors.js';
import { recordHeal } from '../../chaos/engine.js';
import { requireLabState } from '../../process/lab-state.js';
import { eventsFile, labPaths } from '../../process/paths.js';

function newFaultId(kind: string): string {
  return `f-${kind.replace(/\./g, '-')}-${realClock.nowMs().toString(36)}`;
}

async function heal(faults: readonly ActiveFault[]): Promise<string[]> {
  const paths = labPaths();
  const state = requireLabState(paths);
  const ctx = { paths, topology: loadTopology(state.topologyFile), clock: realClock };
  const events = fileEventSink(eventsFile(paths.labDir, 'chaos-cli'), 'chaos', realClock);
  const failures: string[] = [];
  for (const fault of faults) {
    const failed = await healFault(ctx, fault);
    failures.push(...failed);
    recordHeal(events, fault, failed);
    writeFaults(paths.labDir, readFaults(paths.labDir).filter((f) => f.id !== fault.id));
  }
  return failures;
}

export function registerInject(program: Command): void {
  program
    .command('inject')
    .description('inject a fault into the running lab and print its id')
    .argument('<fault>', 'fault kind, e.g. replica.crash (see `halab faults`)')
    .argument('<target>', 'replica (us-east-1/primary/0), cluster (us-east-1/primary) or region (us-east-1)')
    .option('--for <duration>', 'heal after this long (the command waits; Ctrl-C heals at once)')
    .option('--factor <n>', 'slow-down factor (replica.slow, gpu.thermal)', numberFlag('--factor', { above: 0, max: 1000 }))
    .option('--probability <p>', 'error probability (replica.error-rate)', numberFlag('--probability', { above: 0, max: 1 }))
    .option('--after-tokens <n>', 'tokens before the cut (replica.stream-cut)', numberFlag('--after-tokens', { integer: true, min: 1 }))
    .option('--count <n>', 'replicas to kill (cluster.degrade)', numberFlag('--count', { integer: true, min: 1 }))
    .option('--latency-ms <n>', 'added latency (link.latency)', numberFlag('--latency-ms', { min: 0, max: 600_000 }))
    .action(async (kind: string, target: string, opts: { for?: string } & FaultParams) => {
      const paths = labPaths();
      const state = requireLabState(paths);
      const topology = loadTopology(state.topologyFile);
      resolveFault(kind, target, topology);
      const forMs = opts.for !== undefined ? parsePositiveDurationMs(opts.for, '--for') : undefined;
      const id = newFaultId(kind);
      const params: FaultParams = Object.fromEntries(Object.entries({ factor: opts.factor, probability: opts.probability, afterTokens: opts.afterTokens, count: opts.count, latencyMs: opts.latencyMs }).filter(([, v]) => v !== undefined));
      const fault = await injectFault({ paths, topology, clock: realClock }, { id, kind, target, params, ...(forMs ? { healAtMs: realClock.nowMs() + forMs } : {}) });
      writeFaults(paths.labDir, [...readFaults(paths.labDir), fault]);
      fileEventSink(eventsFile(paths.labDir, 'chaos-cli'), 'chaos', realClock).emit(EV.faultInjected, id, undefined, { kind, target, replicas: fault.replicas, params, ...(fault.output !== undefined ? { output: fault.output, inEffectAtMs: fault.injectedAtMs } : {}) });
      process.stdout.write(`${id}\n`);
      if (forMs === undefined) return;
      const controller = new AbortController();
      const onSignal = (): void => controller.abort();
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      await realClock.sleep(forMs, controller.signal).catch(() => undefined);
      const failures = await heal([fault]);
      if (failures.length) throw new HalabError('UPSTREAM_FAILED', `healing ${id} failed: ${failures.join('; ')}`, '`halab down` removes what is left');
      process.stderr.write(`healed ${id}\n`);
    });
}

export function registerHeal(program: Command): void {
  program
    .command('heal')
    .description('undo one fault, or every fault with --all')
    .argument('[fault-id]', 'id printed by `halab inject`')
    .option('--all', 'heal every active fault')
    .action(async (faultId: string | undefined, opts: { all?: boolean }) => {
      const paths = labPaths();
      requireLabState(paths);
      const active = readFaults(paths.labDir);
      if (!faultId && !opts.all) throw new HalabError('USAGE', 'name a fault id or pass --all');
      const chosen = opts.all ? active : active.filter((f) => f.id === faultId);
      if (faultId && chosen.length === 0) {
        throw new HalabError('NOT_FOUND', `no active fault "${faultId}"; active: ${active.map((f) => f.id).join(', ') || 'none'}`);
      }
      const failures = await heal(chosen);
      if (failures.length) throw new HalabError('UPSTREAM_FAILED', `some undo steps failed: ${failures.join('; ')}`);
      process.stdout.write(`healed ${chosen.length} fault(s)\n`);
    });
}

export function registerFaults(program: Command): void {
  program
    .command('faults')
    .description('list the fault kinds the lab can inject')
    .action(async () => {
      const { FAULT_KINDS } = await import('../../config/fault-kinds.js');
      for (const k of FAULT_KINDS) process.stdout.write(`${k.kind.padEnd(24)} ${k.target.padEnd(12)} ${k.description}\n`);
    });
}
