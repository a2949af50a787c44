// Applies faults to the running lab and heals them: resolves a fault against the catalogue and the
// topology, hands it to its family's injector (src/chaos/injectors/), and runs undo steps last first.
import { HalabError } from '../core/errors.js';
import { faultKindInfo, faultKindNames, isCommandOnlyKind } from '../config/fault-kinds.js';
import { parseTarget } from '../core/ids.js';
import type { Topology } from '../config/topology.js';
import { GPU_ONLY_KINDS } from '../config/topology-llamacpp.js';
import type { ActiveFault } from './faults-store.js';
import { applyInjector } from './injectors/apply.js';
import { commandInjector, commandSteps } from './injectors/command.js';
import { realEffects } from './injectors/effects.js';
import { externalFaultPlan } from './injectors/external-plan.js';
import type { FaultRequest, InjectContext, InjectorContext } from './injectors/injector.js';
import { INJECTOR_BY_KIND } from './injectors/table.js';
import { runUndoSteps } from './injectors/undo.js';

export type { FaultParams, FaultRequest, InjectContext } from './injectors/injector.js';

/** Checks kind and target against the catalogue and topology; returns the affected replica ids. */
export function resolveFault(kind: string, target: string, topology: Topology): string[] {
  const info = faultKindInfo(kind);
  if (!info) throw new HalabError('UNKNOWN_FAULT', `unknown fault kind "${kind}"; known kinds: ${faultKindNames().join(', ')}`);
  if (info.target === 'clients') {
    throw new HalabError('UNKNOWN_TARGET', `${kind} is a client-side fault: the load driver applies it during \`halab run\` (a scenario fault with target: clients); it cannot be injected into a lab`);
  }
  if (info.target === 'controlplane') {
    if (target !== 'controlplane') throw new HalabError('UNKNOWN_TARGET', `${kind} takes the target "controlplane", not "${target}"`);
    return [];
  }
  const ref = parseTarget(target);
  if (!ref || ref.kind !== info.target) {
    const example = { replica: 'us-east-1/primary/0', cluster: 'us-east-1/primary', region: 'us-east-1' }[info.target];
    throw new HalabError('UNKNOWN_TARGET', `${kind} takes a ${info.target} target (e.g. ${example}), not "${target}"`);
  }
  const replicas = topology.replicas.filter((r) =>
    ref.kind === 'replica' ? r.id === ref.id : ref.kind === 'cluster' ? r.region === ref.region && r.cluster === ref.cluster : r.region === ref.region,
  );
  const exists = ref.kind === 'region' ? topology.regions.some((r) => r.name === ref.region) : replicas.length > 0;
  if (!exists) {
    const known = ref.kind === 'replica' ? topology.replicas.map((r) => r.id) : ref.kind === 'cluster' ? topology.clusters.map((c) => c.id) : topology.regions.map((r) => r.name);
    throw new HalabError('UNKNOWN_TARGET', `no ${ref.kind} "${target}" in topology ${topology.file}; known: ${known.join(', ')}`);
  }
  const cpuEngine = replicas.find((r) => r.runtime === 'llamacpp');
  if (GPU_ONLY_KINDS.has(kind) && cpuEngine) {
    throw new HalabError(
      'PREREQUISITE_MISSING',
      `${kind} cannot be injected into ${target}: ${cpuEngine.id} is a real llama.cpp engine on the CPU, which has no GPU to fail (GPU faults exist only on stand-ins)`,
      'target a stand-in cluster, or leave the GPU fault out of this scenario',
    );
  }
  if (kind !== 'gateway.crash' && externalFaultPlan(kind, target, replicas.map((r) => r.id), topology)) {
    // external endpoints: checked by externalFaultPlan (a kind without a command is refused there)
  } else if (isCommandOnlyKind(kind) && !topology.external) {
    throw new HalabError('PREREQUISITE_MISSING', `${kind} applies to external endpoints only (through their configured commands), and ${target} is a stand-in`);
  } else if (topology.external) {
    if (!topology.external.faults[kind]) {
      throw new HalabError('PREREQUISITE_MISSING', `no command is configured for ${kind} in ${topology.file}`, `add external.faults["${kind}"] with inject and heal commands`);
    }
  }
  return replicas.map((r) => r.id);
}

function withEffects(ctx: InjectContext): InjectorContext {
  return { ...ctx, effects: ctx.effects ?? realEffects };
}

/**
 * Applies a fault to the running lab through its family's injector (the command injector when the
 * target is reached through configured commands). An injection that fails half-way heals what it
 * had done before the error is rethrown.
 */
export async function injectFault(ctx: InjectContext, req: FaultRequest): Promise<ActiveFault> {
  const replicas = resolveFault(req.kind, req.target, ctx.topology);
  const injector = commandSteps(req.kind, req.target, replicas, ctx.topology) ? commandInjector : INJECTOR_BY_KIND.get(req.kind)!;
  const params = { ...faultKindInfo(req.kind)?.defaults, ...req.params };
  const injected = await applyInjector(withEffects(ctx), injector, { ...req, params, replicas });
  return {
    id: req.id,
    kind: req.kind,
    target: req.target,
    replicas: injected.replicas,
    injectedAtMs: injected.injectedAtMs ?? ctx.clock.nowMs(),
    ...(req.healAtMs ? { healAtMs: req.healAtMs } : {}),
    undo: injected.undo,
    ...(injected.output !== undefined ? { output: injected.output } : {}),
  };
}

/** Runs a fault's undo steps, last first, every one even when one fails; returns the failures. */
export function healFault(ctx: InjectContext, fault: ActiveFault): Promise<string[]> {
  return runUndoSteps(withEffects(ctx), fault.undo, fault.id);
}
