// Undo steps: what heals each action an injector took, kept with the active fault (in the lab
// directory, so `halab heal` in another process can run them), and the one way to run them.
import { HalabError } from '../../core/errors.js';
import { containerEffect } from './effects.js';
import type { InjectorContext } from './injector.js';

export type UndoStep =
  | { readonly type: 'clear-agent-fault'; readonly replicaId: string; readonly faultId: string }
  | { readonly type: 'restart'; readonly processName: string }
  /** Thaw a paused container replica (replica.hang on a `container: true` cluster). */
  | { readonly type: 'unpause-container'; readonly processName: string; readonly container: string; readonly how: 'paused' | 'stopped' }
  | { readonly type: 'command'; readonly command: string; readonly timeoutMs: number }
  /** Restore the control plane from the newest backup (controlplane.disaster). */
  | { readonly type: 'restore-controlplane' }
  /** Re-enable a link proxy (link.partition). */
  | { readonly type: 'link-enable'; readonly proxy: string }
  /** Remove a latency toxic from a link proxy (link.latency). */
  | { readonly type: 'link-toxic'; readonly proxy: string; readonly toxic: string }
  /** Delete iptables rules (region.partition), given as specs without -A/-D. */
  | { readonly type: 'iptables'; readonly rules: readonly string[][] };

async function runStep(ctx: InjectorContext, step: UndoStep): Promise<void> {
  const fx = ctx.effects;
  switch (step.type) {
    case 'restart':
      return void (await fx.restart(ctx.paths, step.processName, ctx.clock));
    case 'command':
      return void (await fx.runCommand(step.command, step.timeoutMs, ctx.paths.labDir));
    case 'restore-controlplane':
      return fx.restoreControlPlane(ctx.paths, ctx.clock).then(
        () => undefined,
        async (err: Error) => {
          // No usable backup: bring the control plane back on what state is left (replicas re-register).
          for (const p of fx.labState(ctx.paths)?.processes.filter((x) => x.kind === 'controlplane') ?? []) await fx.restart(ctx.paths, p.name, ctx.clock);
          throw new HalabError('UPSTREAM_FAILED', `restore failed (${err.message}); the control plane was restarted on empty state`);
        },
      );
    case 'iptables':
      return fx.deleteRules(step.rules);
    case 'unpause-container':
      return void (await containerEffect(fx, 'containerUnpause')(step.container, step.how));
    case 'link-enable':
    case 'link-toxic': {
      const links = fx.labState(ctx.paths)?.links;
      if (!links) throw new Error('the lab has no link proxies any more');
      return step.type === 'link-enable' ? fx.setProxyEnabled(links.api, step.proxy, true) : fx.removeToxic(links.api, step.proxy, step.toxic);
    }
    case 'clear-agent-fault': {
      const entry = fx.labState(ctx.paths)?.processes.find((p) => p.name === `replica/${step.replicaId}`);
      // an agent fault lives in its replica process: one that has died took the fault with it, and
      // its restart (the crash's own heal) starts clean, so there is nothing left to clear
      if (entry?.address && fx.isAlive(entry.pid)) await fx.agentClear(entry.address, step.faultId, ctx.clock);
    }
  }
}

/** Steps of one stage heal together: restarts of processes of one kind, or steps of one type. */
function stageKey(step: UndoStep): string {
  return step.type === 'restart' ? `restart:${step.processName.split('/')[0]}` : step.type;
}

/**
 * Runs undo steps last first, every one even when another fails; returns the failures as
 * "<label>: <message>". Steps are recorded in the order their actions happened, and a later
 * action may rely on an earlier one being in effect: a region outage kills the gateway first (so
 * the region stops taking traffic), then its replicas, then the control-plane instances placed
 * there. Undoing last first brings dependencies back before what depends on them: the control
 * plane before the replicas that register with it, the replicas before the gateway that routes to
 * them, so the gateway returns to a region that can answer. Consecutive steps of one stage (the
 * restarts of a cluster's replicas, say) run at once: nothing orders them among themselves, and
 * restarting them one by one would stretch the heal by a process start per replica.
 */
export async function runUndoSteps(ctx: InjectorContext, steps: readonly UndoStep[], label: string): Promise<string[]> {
  const failures: string[] = [];
  const stages: UndoStep[][] = [];
  for (const step of [...steps].reverse()) {
    const last = stages.at(-1);
    if (last && stageKey(last[0]!) === stageKey(step)) last.push(step);
    else stages.push([step]);
  }
  for (const stage of stages) {
    const results = await Promise.allSettled(stage.map((step) => runStep(ctx, step)));
    for (const r of results) if (r.status === 'rejected') failures.push(`${label}: ${(r.reason as Error).message}`);
  }
  return failures;
}
