// Injectors: each fault kind applied to the running lab, returning the undo steps that heal it.
// Replica-level faults go through the replica's gRPC agent; process faults are real signals.
import type { Clock } from '../core/clock.js';
import { HalabError, errorMessage } from '../core/errors.js';
import { faultKindInfo, faultKindNames, isCommandOnlyKind } from '../config/fault-kinds.js';
import { parseTarget } from '../core/ids.js';
import type { Topology } from '../config/topology.js';
import { agentClearFault, agentInjectFault } from '../replica/agent-client.js';
import { restartProcess } from '../lab/lab.js';
import { readLabState, type ProcessEntry } from '../process/lab-state.js';
import type { LabPaths } from '../process/paths.js';
import { killNow } from '../process/reaper.js';
import { renderCommand, runCommand } from './command-fault.js';
import { externalFaultPlan } from './external-faults.js';
import { addRules, deleteRules, firewallUnavailable, labTag, partitionRules } from '../lab/firewall.js';
import { addLatencyInto, removeToxicInto, setLinksInto } from '../lab/link-proxies.js';
import type { ActiveFault, UndoStep } from './faults-store.js';
import { injectStateFault, STATE_FAULTS } from './state-faults.js';
import { restoreControlPlane } from '../lab/restore.js';

export interface FaultParams {
  readonly factor?: number;
  readonly probability?: number;
  readonly afterTokens?: number;
  readonly count?: number;
  readonly latencyMs?: number;
}

export interface FaultRequest {
  readonly id: string;
  readonly kind: string;
  readonly target: string;
  readonly params?: FaultParams;
  readonly healAtMs?: number;
}

export interface InjectContext {
  readonly paths: LabPaths;
  readonly topology: Topology;
  readonly clock: Clock;
}

const AGENT_FAULTS = new Set(['replica.hang', 'replica.slow', 'replica.stream-cut', 'replica.error-rate', 'gpu.xid', 'gpu.thermal', 'model.corrupt']);

/** Checks kind and target against the catalogue and topology; returns the affected replica ids. */
export function resolveFault(kind: string, target: string, topology: Topology): string[] {
  const info = faultKindInfo(kind);
  if (!info) throw new HalabError('UNKNOWN_FAULT', `unknown fault kind "${kind}"; known kinds: ${faultKindNames().join(', ')}`);
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

function processFor(labProcesses: readonly ProcessEntry[], name: string): ProcessEntry {
  const entry = labProcesses.find((p) => p.name === name);
  if (!entry) throw new HalabError('UNKNOWN_TARGET', `no process ${name} in the running lab`);
  return entry;
}

/** Applies a fault to the running lab. */
export async function injectFault(ctx: InjectContext, req: FaultRequest): Promise<ActiveFault> {
  const replicas = resolveFault(req.kind, req.target, ctx.topology);
  const plan = req.kind !== 'gateway.crash' ? externalFaultPlan(req.kind, req.target, replicas, ctx.topology) : undefined;
  if (plan) {
    // inject on every endpoint at once; if one fails, heal them all before reporting it. The
    // fault counts from when its commands started: it may take effect before a command exits.
    const startedMs = ctx.clock.nowMs();
    const results = await Promise.allSettled(plan.map((step) => runCommand(step.inject, step.timeoutMs)));
    const undo: UndoStep[] = plan.map((step) => ({ type: 'command', command: step.heal, timeoutMs: step.timeoutMs }));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const heals = await Promise.allSettled(plan.map((step) => runCommand(step.heal, step.timeoutMs)));
      const healFailures = heals.flatMap((r) => (r.status === 'rejected' ? [errorMessage(r.reason)] : []));
      if (healFailures.length === 0) throw failed.reason;
      throw new HalabError('UPSTREAM_FAILED', `${errorMessage(failed.reason)}; healing the endpoints failed too: ${healFailures.join('; ')}`, 'run the fault kind\'s heal command by hand');
    }
    if (req.kind === 'region.outage') {
      // the region's gateway is a lab process even when its endpoints are external
      const state = readLabState(ctx.paths);
      const gateway = state?.processes.find((p) => p.name === `gateway/${req.target}`);
      if (gateway) {
        killNow(gateway.pid);
        undo.push({ type: 'restart', processName: gateway.name });
      }
    }
    const output = results.map((r) => (r.status === 'fulfilled' ? r.value.output : '')).filter(Boolean).join('\n');
    return { id: req.id, kind: req.kind, target: req.target, replicas, injectedAtMs: startedMs, undo, output, ...(req.healAtMs ? { healAtMs: req.healAtMs } : {}) };
  }
  const external = ctx.topology.external?.faults[req.kind];
  if (external) {
    const result = await runCommand(renderCommand(external.inject, req.target), external.timeoutMs);
    const undo: UndoStep[] = [{ type: 'command', command: renderCommand(external.heal, req.target), timeoutMs: external.timeoutMs }];
    return { id: req.id, kind: req.kind, target: req.target, replicas, injectedAtMs: ctx.clock.nowMs(), undo, output: result.output, ...(req.healAtMs ? { healAtMs: req.healAtMs } : {}) };
  }
  const state = readLabState(ctx.paths);
  if (!state) throw new HalabError('LAB_NOT_RUNNING', 'no lab is running', 'start one with `halab up`');
  const defaults = faultKindInfo(req.kind)?.defaults ?? {};
  const params = { ...defaults, ...req.params };
  const undo: UndoStep[] = [];
  const kill = (name: string): void => {
    const entry = processFor(state.processes, name);
    killNow(entry.pid);
    undo.push({ type: 'restart', processName: name });
  };
  if (AGENT_FAULTS.has(req.kind)) {
    const entry = processFor(state.processes, `replica/${replicas[0]}`);
    if (!entry.address) throw new HalabError('UPSTREAM_FAILED', `replica ${replicas[0]} has no agent address yet`);
    await agentInjectFault(entry.address, { kind: req.kind, faultId: req.id, factor: params.factor ?? 0, probability: params.probability ?? 0, afterTokens: params.afterTokens ?? 0 }, ctx.clock);
    undo.push({ type: 'clear-agent-fault', replicaId: replicas[0]!, faultId: req.id });
  } else if (req.kind === 'replica.crash' || req.kind === 'cluster.outage') {
    for (const id of replicas) kill(`replica/${id}`);
  } else if (req.kind === 'cluster.degrade') {
    const count = Math.min(replicas.length, Math.max(1, Math.round(params.count ?? 1)));
    replicas.splice(count);
    for (const id of replicas) kill(`replica/${id}`);
  } else if (req.kind === 'region.outage') {
    kill(`gateway/${req.target}`);
    for (const id of replicas) kill(`replica/${id}`);
    // control-plane instances placed in the region (controlPlane.placement: regions) go down with it
    for (const cp of state.processes.filter((p) => p.kind === 'controlplane' && p.subject === req.target)) kill(cp.name);
  } else if (req.kind === 'gateway.crash') {
    kill(`gateway/${req.target}`);
    replicas.length = 0;
  } else if (STATE_FAULTS.has(req.kind)) {
    undo.push(...(await injectStateFault(ctx, state, req.kind, req.target)));
    replicas.length = 0;
  } else if (req.kind === 'link.partition' || req.kind === 'link.latency') {
    const links = state.links;
    if (!links) throw new HalabError('PREREQUISITE_MISSING', `${req.kind} needs the inter-region link proxies, and this lab runs without them (${state.linksNote ?? 'no Toxiproxy'})`, 'run scripts/setup.sh (installs toxiproxy-server), then bring the lab up again');
    if (req.kind === 'link.partition') {
      undo.push({ type: 'links-enable', region: req.target });
      await setLinksInto(links, req.target, false);
    } else {
      const toxic = `fault-${req.id}`;
      undo.push({ type: 'links-toxic', region: req.target, toxic });
      await addLatencyInto(links, req.target, toxic, params.latencyMs ?? 200);
    }
    replicas.length = 0;
  } else if (req.kind === 'region.partition') {
    const why = firewallUnavailable();
    if (why) throw new HalabError('PREREQUISITE_MISSING', `region.partition: ${why}`);
    const gateway = processFor(state.processes, `gateway/${req.target}`);
    const host = ctx.topology.regions.find((r) => r.name === req.target)!.host;
    const linkPorts = (state.links?.proxies ?? []).filter((p) => p.to === req.target && p.listen.startsWith(`${host}:`)).map((p) => Number(p.listen.split(':').pop()));
    const rules = partitionRules(host, [Number(new URL(gateway.url!).port), ...linkPorts], `${labTag(ctx.paths.labDir)}:${req.id}`);
    addRules(rules);
    undo.push({ type: 'iptables', rules });
    replicas.length = 0;
  }
  return { id: req.id, kind: req.kind, target: req.target, replicas, injectedAtMs: ctx.clock.nowMs(), ...(req.healAtMs ? { healAtMs: req.healAtMs } : {}), undo };
}

/** Runs a fault's undo steps (all of them, even when one fails); returns the failures. */
export async function healFault(ctx: InjectContext, fault: ActiveFault): Promise<string[]> {
  const failures: string[] = [];
  await Promise.all(
    fault.undo.map(async (step) => {
      try {
        if (step.type === 'restart') {
          await restartProcess(ctx.paths, step.processName, ctx.clock);
        } else if (step.type === 'command') {
          await runCommand(step.command, step.timeoutMs);
        } else if (step.type === 'restore-controlplane') {
          await restoreControlPlane(ctx.paths, ctx.clock, {}).catch(async (err: Error) => {
            // No usable backup: bring the control plane back on empty state (replicas re-register).
            for (const p of readLabState(ctx.paths)?.processes.filter((x) => x.kind === 'controlplane') ?? []) await restartProcess(ctx.paths, p.name, ctx.clock);
            throw new HalabError('UPSTREAM_FAILED', `restore failed (${err.message}); the control plane was restarted on empty state`);
          });
        } else if (step.type === 'iptables') {
          deleteRules(step.rules);
        } else if (step.type === 'links-enable' || step.type === 'links-toxic') {
          const links = readLabState(ctx.paths)?.links;
          if (!links) throw new Error('the lab has no link proxies any more');
          if (step.type === 'links-enable') await setLinksInto(links, step.region, true);
          else await removeToxicInto(links, step.region, step.toxic);
        } else {
          const entry = readLabState(ctx.paths)?.processes.find((p) => p.name === `replica/${step.replicaId}`);
          if (entry?.address) await agentClearFault(entry.address, step.faultId, ctx.clock);
        }
      } catch (err) {
        failures.push(`${fault.id}: ${(err as Error).message}`);
      }
    }),
  );
  return failures;
}
