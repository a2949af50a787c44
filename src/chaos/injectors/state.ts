// Faults on durable state: controlplane.kill-leader (SIGKILL the instance that leads),
// controlplane.disaster (every instance killed, its state wiped; healed by a restore from backup)
// and region.state-loss (a region's stored completions wiped; its gateway restarts on an empty store).
import { HalabError } from '../../core/errors.js';
import { runningLab, type Injector, type InjectorContext } from './injector.js';

async function waitDead(ctx: InjectorContext, pids: readonly number[]): Promise<void> {
  const deadline = ctx.clock.monoMs() + 3000;
  while (pids.some(ctx.effects.isAlive) && ctx.clock.monoMs() < deadline) await ctx.clock.sleep(10);
}

export const stateInjector: Injector = {
  family: 'state',
  kinds: ['controlplane.kill-leader', 'controlplane.disaster', 'region.state-loss'],
  async inject(ctx, req, undo) {
    const state = runningLab(ctx);
    const fx = ctx.effects;
    if (req.kind === 'controlplane.kill-leader') {
      const leaderName = await fx.controlPlaneLeader(state.controlPlane ?? '', ctx.clock);
      const leader = state.processes.find((p) => p.kind === 'controlplane' && p.name === leaderName);
      if (!leader) throw new HalabError('UPSTREAM_FAILED', `the control-plane leader "${leaderName}" is not a process of this lab`);
      fx.kill(leader.pid);
      undo.push({ type: 'restart', processName: leader.name });
    } else if (req.kind === 'controlplane.disaster') {
      const mark = undo.length;
      const cps = state.processes.filter((p) => p.kind === 'controlplane');
      for (const p of cps) {
        fx.kill(p.pid);
        undo.push({ type: 'restart', processName: p.name });
      }
      await waitDead(ctx, cps.map((p) => p.pid));
      // From the wipe on, a restart would bring back an empty control plane: the restore (which
      // stops what runs, loads the newest backup and starts every instance) replaces the restarts,
      // and it heals a wipe that stopped half-way too.
      undo.splice(mark, undo.length - mark, { type: 'restore-controlplane' });
      await fx.wipeControlPlane(ctx.paths, ctx.topology, state);
    } else {
      // region.state-loss: the gateway holds the store open, so it dies first.
      const gateway = state.processes.find((p) => p.kind === 'gateway' && p.subject === req.target);
      if (!gateway) throw new HalabError('UNKNOWN_TARGET', `no gateway for region ${req.target} in the running lab`);
      fx.kill(gateway.pid);
      undo.push({ type: 'restart', processName: gateway.name });
      await waitDead(ctx, [gateway.pid]);
      fx.wipeRegionState(ctx.paths.labDir, req.target);
    }
    return { replicas: [] };
  },
};
