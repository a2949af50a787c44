// The container branch of the replica injectors, on a fake lab whose replicas run in containers:
// replica.crash is a docker kill healed by a restart; replica.hang a pause (or, when the freezer
// gives up, a SIGSTOP of every task) healed by the matching thaw; host replicas keep their paths.
import { describe, expect, it } from 'vitest';
import { fakeLab, labState } from '../../../test/fake-lab.js';
import { injectFault } from '../injectors.js';
import { agentInjector } from './agent.js';
import { applyInjector } from './apply.js';
import type { Effects } from './effects.js';
import { runUndoSteps } from './undo.js';

function containerLab(how: 'paused' | 'stopped' = 'paused') {
  const state = labState();
  // replicas 0 and 1 in containers, 2 and 3 on the host
  state.processes = state.processes.map((p) => (p.name.endsWith('/0') || p.name.endsWith('/1') ? { ...p, container: `c${p.name.at(-1)}${'0'.repeat(20)}` } : p));
  const lab = fakeLab({ state });
  const effects: Effects = {
    ...lab.ctx.effects,
    containerKill: async (id) => void lab.calls.push(`docker-kill ${id.slice(0, 2)}`),
    containerPause: async (id) => {
      lab.calls.push(`docker-pause ${id.slice(0, 2)}`);
      return how;
    },
    containerUnpause: async (id, h) => void lab.calls.push(`docker-unpause ${id.slice(0, 2)} ${h}`),
  };
  return { ctx: { ...lab.ctx, effects }, calls: lab.calls };
}

describe('container replicas under the process and agent injectors', () => {
  it('replica.crash kills the container (not the pid) and heals by restarting it', async () => {
    const lab = containerLab();
    const fault = await injectFault(lab.ctx, { id: 'f1', kind: 'replica.crash', target: 'us-east-1/primary/0' });
    expect(lab.calls).toEqual(['docker-kill c0']);
    expect(fault.undo).toEqual([{ type: 'restart', processName: 'replica/us-east-1/primary/0' }]);
    await runUndoSteps(lab.ctx, fault.undo, 'f1');
    expect(lab.calls.at(-1)).toBe('restart replica/us-east-1/primary/0');
  });

  it('a cluster outage kills containers and host processes each their own way', async () => {
    const lab = containerLab();
    await injectFault(lab.ctx, { id: 'f2', kind: 'cluster.outage', target: 'us-east-1/primary' });
    expect(lab.calls).toEqual(['docker-kill c0', 'docker-kill c1', 'kill replica/us-east-1/primary/2', 'kill replica/us-east-1/primary/3']);
  });

  it('replica.hang freezes the container, says how, and thaws it the same way; a host replica gets the agent fault', async () => {
    for (const how of ['paused', 'stopped'] as const) {
      const lab = containerLab(how);
      const r = await applyInjector(lab.ctx, agentInjector, { id: 'f3', kind: 'replica.hang', target: 'us-east-1/primary', params: {}, replicas: ['us-east-1/primary/1', 'us-east-1/primary/2'] });
      expect(lab.calls).toEqual(['docker-pause c1', 'agent-inject replica.hang 127.0.1.1:7002']);
      expect(r.output).toMatch(how === 'paused' ? /us-east-1\/primary\/1: docker pause of container c1/ : /SIGSTOP of every task/);
      await runUndoSteps(lab.ctx, r.undo, 'f3');
      expect(lab.calls.slice(2)).toEqual(['agent-clear f3 127.0.1.1:7002', `docker-unpause c1 ${how}`]);
    }
  });

  it('a lab without container effects (the simulator) says so instead of acting on a pid', async () => {
    const lab = containerLab();
    const { containerKill: _k, ...rest } = lab.ctx.effects;
    await expect(injectFault({ ...lab.ctx, effects: rest }, { id: 'f4', kind: 'replica.crash', target: 'us-east-1/primary/0' })).rejects.toThrow(/containerKill: these effects have no containers/);
  });
});
