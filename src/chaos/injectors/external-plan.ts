// Faults on external endpoints (topology clusters with `external`): each fault kind maps to the
// inject and heal commands the cluster configures (or the topology-wide `external.faults`), run
// once per distinct rendered command with {url} set to the endpoint's base URL. A kind without a
// command is refused when the fault is resolved, which `halab run` does before the lab starts.
import { HalabError } from '../../core/errors.js';
import type { Topology } from '../../config/topology.js';
import { renderCommand } from './run-command.js';

export interface CommandStep {
  readonly inject: string;
  readonly heal: string;
  readonly timeoutMs: number;
}

/**
 * The commands that apply `kind` to the external replicas it affects, or undefined when it affects
 * none (stand-ins). Throws when stand-ins and external endpoints are mixed or a command is missing.
 */
export function externalFaultPlan(kind: string, target: string, replicaIds: readonly string[], topology: Topology): CommandStep[] | undefined {
  const affected = topology.replicas.filter((r) => replicaIds.includes(r.id));
  const external = affected.filter((r) => r.external);
  if (external.length === 0) return undefined;
  if (external.length !== affected.length) {
    throw new HalabError('UNKNOWN_TARGET', `${kind} on ${target} would hit both stand-in and external replicas in ${topology.file}; target one cluster at a time`);
  }
  const steps: CommandStep[] = [];
  const seen = new Set<string>();
  for (const r of external) {
    const cluster = topology.regions.find((g) => g.name === r.region)!.clusters.find((c) => c.name === r.cluster)!;
    const command = cluster.external?.faults[kind] ?? topology.external?.faults[kind];
    if (!command) {
      throw new HalabError(
        'PREREQUISITE_MISSING',
        `no command is configured for ${kind} on external cluster ${r.region}/${r.cluster} in ${topology.file}`,
        `add external.faults["${kind}"] with inject and heal commands to that cluster (or to the topology's external block)`,
      );
    }
    const inject = renderCommand(command.inject, r.id, r.external!.url ?? '');
    if (seen.has(inject)) continue;
    seen.add(inject);
    steps.push({ inject, heal: renderCommand(command.heal, r.id, r.external!.url ?? ''), timeoutMs: command.timeoutMs });
  }
  return steps;
}
