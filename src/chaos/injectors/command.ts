// Faults applied through configured commands: every kind on external endpoints (their clusters'
// commands), every kind of a topology with a topology-wide `external.faults` block, and the
// upstream.* misbehaviours, which exist only that way. Healed by the configured heal commands.
import { HalabError } from '../../core/errors.js';
import type { Topology } from '../../config/topology.js';
import { externalFaultPlan, type CommandStep } from './external-plan.js';
import type { Injector } from './injector.js';
import { renderCommand } from './run-command.js';

/** The commands that apply `kind` to `target`, or undefined when it is applied otherwise. */
export function commandSteps(kind: string, target: string, replicaIds: readonly string[], topology: Topology): CommandStep[] | undefined {
  // the regional gateway is a lab process even in front of external endpoints
  const plan = kind !== 'gateway.crash' ? externalFaultPlan(kind, target, replicaIds, topology) : undefined;
  if (plan) return plan;
  const command = topology.external?.faults[kind];
  return command ? [{ inject: renderCommand(command.inject, target), heal: renderCommand(command.heal, target), timeoutMs: command.timeoutMs }] : undefined;
}

export const commandInjector: Injector = {
  family: 'command',
  kinds: ['upstream.rate-limit', 'upstream.reset', 'upstream.stall', 'upstream.malformed', 'upstream.no-done'],
  async inject(ctx, req, undo) {
    const steps = commandSteps(req.kind, req.target, req.replicas, ctx.topology);
    if (!steps) throw new HalabError('PREREQUISITE_MISSING', `no command is configured for ${req.kind} in ${ctx.topology.file}`, `add external.faults["${req.kind}"] with inject and heal commands`);
    // Every endpoint at once; the fault counts from when its commands started, as it may take
    // effect before a command exits. A command that fails or times out may have taken effect all
    // the same, so the heal of each command is recorded as it starts, not once it succeeded.
    const startedMs = ctx.clock.nowMs();
    const runs = steps.map((step) => {
      undo.push({ type: 'command', command: step.heal, timeoutMs: step.timeoutMs });
      return ctx.effects.runCommand(step.inject, step.timeoutMs, ctx.paths.labDir);
    });
    const results = await Promise.allSettled(runs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    if (req.kind === 'region.outage') {
      const gateway = ctx.effects.labState(ctx.paths)?.processes.find((p) => p.name === `gateway/${req.target}`);
      if (gateway) {
        ctx.effects.kill(gateway.pid);
        undo.push({ type: 'restart', processName: gateway.name });
      }
    }
    const output = results.map((r) => (r.status === 'fulfilled' ? r.value.output : '')).filter(Boolean).join('\n');
    return { replicas: req.replicas, injectedAtMs: startedMs, output };
  },
};
