// Replica misbehaviours (hang, slow, stream cuts, errors, GPU Xid and thermal, corrupt model),
// set through the replica agent's InjectFault gRPC call and healed by its ClearFault. A container
// replica's hang is a docker pause of its container (a real freeze), healed by unpause.
import { HalabError } from '../../core/errors.js';
import { containerEffect } from './effects.js';
import { processNamed, runningLab, type Injector } from './injector.js';

export const agentInjector: Injector = {
  family: 'agent',
  kinds: ['replica.hang', 'replica.slow', 'replica.stream-cut', 'replica.error-rate', 'gpu.xid', 'gpu.thermal', 'model.corrupt'],
  async inject(ctx, req, undo) {
    const state = runningLab(ctx);
    const frozen: string[] = [];
    for (const replicaId of req.replicas) {
      const entry = processNamed(state, `replica/${replicaId}`);
      // a container replica's hang is the container's: docker pause freezes agent and engine alike
      if (req.kind === 'replica.hang' && entry.container) {
        const how = await containerEffect(ctx.effects, 'containerPause')(entry.container);
        undo.push({ type: 'unpause-container', processName: entry.name, container: entry.container, how });
        frozen.push(`${replicaId}: ${how === 'paused' ? 'docker pause' : 'SIGSTOP of every task (the cgroup freezer gave up)'} of container ${entry.container.slice(0, 12)}`);
        continue;
      }
      if (!entry.address) throw new HalabError('UPSTREAM_FAILED', `replica ${replicaId} has no agent address yet`);
      const { factor = 0, probability = 0, afterTokens = 0 } = req.params;
      await ctx.effects.agentInject(entry.address, { kind: req.kind, faultId: req.id, factor, probability, afterTokens }, ctx.clock);
      undo.push({ type: 'clear-agent-fault', replicaId, faultId: req.id });
    }
    return { replicas: req.replicas, ...(frozen.length ? { output: frozen.join('; ') } : {}) };
  },
};
