// Faults on durable state: controlplane.kill-leader (SIGKILL the instance that leads),
// controlplane.disaster (every instance killed, its state wiped; healed by a restore from backup)
// and region.state-loss (a region's stored completions wiped). Each returns its undo steps.
import { rmSync } from 'node:fs';
import { HalabError } from '../core/errors.js';
import { getStatus } from '../lab/cp-client.js';
import type { LabState } from '../process/lab-state.js';
import { isAlive } from '../process/launcher.js';
import { killNow } from '../process/reaper.js';
import { wipeControlPlaneState } from '../lab/restore.js';
import { regionStateDir } from '../process/state-paths.js';
import type { UndoStep } from './faults-store.js';
import type { InjectContext } from './injectors.js';

export const STATE_FAULTS = new Set(['controlplane.kill-leader', 'controlplane.disaster', 'region.state-loss']);

async function waitDead(pids: readonly number[], ctx: InjectContext): Promise<void> {
  const deadline = ctx.clock.monoMs() + 3000;
  while (pids.some(isAlive) && ctx.clock.monoMs() < deadline) await ctx.clock.sleep(10);
}

export async function injectStateFault(ctx: InjectContext, state: LabState, kind: string, target: string): Promise<UndoStep[]> {
  if (kind === 'controlplane.kill-leader') {
    const status = await getStatus(state.controlPlane ?? '', ctx.clock);
    const leader = state.processes.find((p) => p.kind === 'controlplane' && p.name === status.instance);
    if (!leader) throw new HalabError('UPSTREAM_FAILED', `the control-plane leader "${status.instance}" is not a process of this lab`);
    killNow(leader.pid);
    return [{ type: 'restart', processName: leader.name }];
  }
  if (kind === 'controlplane.disaster') {
    const cps = state.processes.filter((p) => p.kind === 'controlplane');
    for (const p of cps) killNow(p.pid);
    await waitDead(cps.map((p) => p.pid), ctx);
    await wipeControlPlaneState(ctx.paths, ctx.topology, state);
    return [{ type: 'restore-controlplane' }];
  }
  // region.state-loss: the gateway holds the store open, so it dies first.
  const gateway = state.processes.find((p) => p.kind === 'gateway' && p.subject === target);
  if (!gateway) throw new HalabError('UNKNOWN_TARGET', `no gateway for region ${target} in the running lab`);
  killNow(gateway.pid);
  await waitDead([gateway.pid], ctx);
  rmSync(regionStateDir(ctx.paths.labDir, target), { recursive: true, force: true });
  return [{ type: 'restart', processName: gateway.name }];
}
