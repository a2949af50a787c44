// Process faults: real SIGKILLs of replicas, gateways and control-plane instances; each killed
// process is healed by restarting it with its original arguments. A llama.cpp replica's engine is
// killed by its sidecar (a real SIGKILL of llama-server), which restarts it when the fault heals. A
// container replica is killed with its container (docker kill) and healed by starting it again.
import { HalabError } from '../../core/errors.js';
import { containerEffect } from './effects.js';
import { processNamed, runningLab, type Injector } from './injector.js';

export const processInjector: Injector = {
  family: 'process',
  kinds: ['replica.crash', 'cluster.outage', 'cluster.degrade', 'region.outage', 'gateway.crash'],
  async inject(ctx, req, undo) {
    const state = runningLab(ctx);
    const kill = (name: string): void => {
      ctx.effects.kill(processNamed(state, name).pid);
      undo.push({ type: 'restart', processName: name });
    };
    const llamacpp = new Set(ctx.topology.replicas.filter((r) => r.runtime === 'llamacpp').map((r) => r.id));
    const killReplica = async (id: string): Promise<void> => {
      const own = processNamed(state, `replica/${id}`);
      if (own.container) {
        // a container replica (stand-in or llama.cpp, with its agent) dies whole: docker kill; healed by starting it again
        await containerEffect(ctx.effects, 'containerKill')(own.container);
        return void undo.push({ type: 'restart', processName: own.name });
      }
      // a hosted replica (replicaHost: shared) crashes through its agent; its heal asks the host to restart it
      if (own.host && own.address) {
        await ctx.effects.agentInject(own.address, { kind: 'replica.crash', faultId: req.id, factor: 0, probability: 0, afterTokens: 0 }, ctx.clock);
        return void undo.push({ type: 'restart', processName: own.name });
      }
      if (!llamacpp.has(id)) return kill(`replica/${id}`);
      const entry = processNamed(state, `replica/${id}`);
      if (!entry.address) throw new HalabError('UPSTREAM_FAILED', `replica ${id} has no agent address yet`);
      await ctx.effects.agentInject(entry.address, { kind: 'replica.crash', faultId: req.id, factor: 0, probability: 0, afterTokens: 0 }, ctx.clock);
      undo.push({ type: 'clear-agent-fault', replicaId: id, faultId: req.id });
    };
    if (req.kind === 'gateway.crash') {
      kill(`gateway/${req.target}`);
      return { replicas: [] };
    }
    const count = req.kind === 'cluster.degrade' ? Math.min(req.replicas.length, Math.max(1, Math.round(req.params.count ?? 1))) : req.replicas.length;
    const replicas = req.replicas.slice(0, count);
    // A region goes down gateway first, so it stops taking traffic before its replicas die.
    if (req.kind === 'region.outage') kill(`gateway/${req.target}`);
    for (const id of replicas) await killReplica(id);
    if (req.kind === 'region.outage') {
      // control-plane instances placed in the region (controlPlane.placement: regions) go down with it
      for (const cp of state.processes.filter((p) => p.kind === 'controlplane' && p.subject === req.target)) kill(cp.name);
    }
    return { replicas };
  },
};
