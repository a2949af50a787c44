// Process faults: real SIGKILLs of replicas, gateways and control-plane instances; each killed
// process is healed by restarting it with its original arguments.
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
    if (req.kind === 'gateway.crash') {
      kill(`gateway/${req.target}`);
      return { replicas: [] };
    }
    const count = req.kind === 'cluster.degrade' ? Math.min(req.replicas.length, Math.max(1, Math.round(req.params.count ?? 1))) : req.replicas.length;
    const replicas = req.replicas.slice(0, count);
    // A region goes down gateway first, so it stops taking traffic before its replicas die.
    if (req.kind === 'region.outage') kill(`gateway/${req.target}`);
    for (const id of replicas) kill(`replica/${id}`);
    if (req.kind === 'region.outage') {
      // control-plane instances placed in the region (controlPlane.placement: regions) go down with it
      for (const cp of state.processes.filter((p) => p.kind === 'controlplane' && p.subject === req.target)) kill(cp.name);
    }
    return { replicas };
  },
};
