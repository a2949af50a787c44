// Each injector family, on a fake lab: an injection that fails half-way heals what it had done,
// last first, and rethrows; a complete one records the undo of every action.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fakeLab } from '../../../test/fake-lab.js';
import { loadTopology } from '../../config/topology.js';
import { injectFault } from '../injectors.js';
import { agentInjector } from './agent.js';
import { applyInjector } from './apply.js';
import { runUndoSteps } from './undo.js';

describe('process injector', () => {
  it('a region outage failing at its third kill restarts the gateway and replica it killed, last first', async () => {
    const lab = fakeLab({ failAt: 3 });
    await expect(injectFault(lab.ctx, { id: 'f1', kind: 'region.outage', target: 'us-east-1' })).rejects.toThrow('kill replica/us-east-1/primary/1 failed');
    expect(lab.calls).toEqual(['kill gateway/us-east-1', 'kill replica/us-east-1/primary/0', 'kill replica/us-east-1/primary/1', 'restart replica/us-east-1/primary/0', 'restart gateway/us-east-1']);
  });

  it('adds the failures of its heal to the error', async () => {
    const lab = fakeLab({ failAt: 2, failing: ['restart gateway/us-east-1'] });
    await expect(injectFault(lab.ctx, { id: 'f1', kind: 'region.outage', target: 'us-east-1' })).rejects.toThrow(
      'kill replica/us-east-1/primary/0 failed; healing what it had done failed: f1: restart gateway/us-east-1 failed',
    );
  });

  it('cluster.degrade kills `count` replicas and records a restart for each', async () => {
    const lab = fakeLab();
    const fault = await injectFault(lab.ctx, { id: 'f2', kind: 'cluster.degrade', target: 'us-east-1/primary', params: { count: 2 } });
    expect(fault.replicas).toEqual(['us-east-1/primary/0', 'us-east-1/primary/1']);
    expect(fault.undo).toEqual([{ type: 'restart', processName: 'replica/us-east-1/primary/0' }, { type: 'restart', processName: 'replica/us-east-1/primary/1' }]);
  });
});

describe('agent injector', () => {
  it('failing on its third replica clears the fault on the first two, last first', async () => {
    const lab = fakeLab({ failAt: 3 });
    const replicas = ['us-east-1/primary/0', 'us-east-1/primary/1', 'us-east-1/primary/2'];
    await expect(applyInjector(lab.ctx, agentInjector, { id: 'f3', kind: 'replica.slow', target: 'us-east-1/primary', params: { factor: 5 }, replicas })).rejects.toThrow('failed');
    expect(lab.calls.slice(3)).toEqual(['agent-clear f3 127.0.1.1:7001', 'agent-clear f3 127.0.1.1:7000']);
  });

  it('a replica fault gets the catalogue defaults and its clear as undo', async () => {
    const lab = fakeLab();
    const fault = await injectFault(lab.ctx, { id: 'f4', kind: 'gpu.thermal', target: 'us-east-1/primary/2' });
    expect(lab.calls).toEqual(['agent-inject gpu.thermal 127.0.1.1:7002']);
    expect(fault).toMatchObject({ replicas: ['us-east-1/primary/2'], undo: [{ type: 'clear-agent-fault', replicaId: 'us-east-1/primary/2', faultId: 'f4' }] });
  });
});

describe('link injector', () => {
  it('a partition failing at its third proxy re-enables the first two, last first', async () => {
    const lab = fakeLab({ failAt: 3 });
    await expect(injectFault(lab.ctx, { id: 'f5', kind: 'link.partition', target: 'us-east-1' })).rejects.toThrow('disable eu-west-1>us-east-1 failed');
    expect(lab.calls.slice(3)).toEqual(['enable us-west-2>us-east-1', 'enable glb>us-east-1']);
  });

  it('added latency failing at its second proxy removes the first toxic', async () => {
    const lab = fakeLab({ failAt: 2 });
    await expect(injectFault(lab.ctx, { id: 'f6', kind: 'link.latency', target: 'us-east-1' })).rejects.toThrow('failed');
    expect(lab.calls.slice(2)).toEqual(['remove-toxic fault-f6 glb>us-east-1']);
  });
});

describe('firewall injector', () => {
  it('a partition failing at its third port deletes the rules of the first two, last first', async () => {
    const lab = fakeLab({ failAt: 3 });
    await expect(injectFault(lab.ctx, { id: 'f7', kind: 'region.partition', target: 'us-east-1' })).rejects.toThrow('iptables-add 9001 failed');
    expect(lab.calls).toEqual(['iptables-add 8000', 'iptables-add 9000', 'iptables-add 9001', 'iptables-delete 9000', 'iptables-delete 8000']);
  });
});

describe('state injector', () => {
  it('a disaster failing at its second kill restarts the first instance', async () => {
    const lab = fakeLab({ failAt: 2 });
    await expect(injectFault(lab.ctx, { id: 'f8', kind: 'controlplane.disaster', target: 'controlplane' })).rejects.toThrow('kill controlplane/1 failed');
    expect(lab.calls.slice(2)).toEqual(['restart controlplane/0']);
  });

  it('a disaster failing in its wipe restores from backup instead of restarting', async () => {
    const lab = fakeLab({ failAt: 3 });
    await expect(injectFault(lab.ctx, { id: 'f9', kind: 'controlplane.disaster', target: 'controlplane' })).rejects.toThrow('wipe controlplane failed');
    expect(lab.calls.slice(3)).toEqual(['restore controlplane']);
  });

  it('a state loss failing in its wipe restarts the gateway it killed', async () => {
    const lab = fakeLab({ failAt: 2 });
    await expect(injectFault(lab.ctx, { id: 'f10', kind: 'region.state-loss', target: 'us-east-1' })).rejects.toThrow('wipe us-east-1 failed');
    expect(lab.calls).toEqual(['kill gateway/us-east-1', 'wipe us-east-1', 'restart gateway/us-east-1']);
  });
});

describe('command injector', () => {
  const dir = mkdtempSync(join(tmpdir(), 'halab-cmd-'));
  const file = join(dir, 'external.yaml');
  writeFileSync(
    file,
    `name: external
model: { name: m, version: v1 }
regions:
  - name: us-east-1
    host: 127.0.1.1
    clusters:
      - name: primary
        role: primary
        external:
          kind: generic
          endpoints: [{ url: "http://a" }, { url: "http://b" }, { url: "http://c" }]
          faults:
            cluster.outage: { inject: "down {url}", heal: "heal {url}", timeoutMs: 1000 }
`,
  );

  it('failing on one endpoint runs the heal of every command it started, last first', async () => {
    const lab = fakeLab({ failAt: 2, topology: loadTopology(file) });
    await expect(injectFault(lab.ctx, { id: 'f11', kind: 'cluster.outage', target: 'us-east-1/primary' })).rejects.toThrow('down http://b failed');
    expect(lab.calls).toEqual(['down http://a', 'down http://b', 'down http://c', 'heal http://c', 'heal http://b', 'heal http://a']);
  });

  it('keeps what the commands printed', async () => {
    const lab = fakeLab({ topology: loadTopology(file) });
    const fault = await injectFault(lab.ctx, { id: 'f12', kind: 'cluster.outage', target: 'us-east-1/primary' });
    expect(fault.output).toBe('ran down http://a\nran down http://b\nran down http://c');
    expect(fault.undo.map((s) => s.type === 'command' && s.command)).toEqual(['heal http://a', 'heal http://b', 'heal http://c']);
  });
});

describe('healing an agent fault', () => {
  it('skips the ClearFault of a replica whose process has died: the fault went with it', async () => {
    const lab = fakeLab();
    const state = lab.ctx.effects.labState(lab.ctx.paths)!;
    const dead = state.processes.find((p) => p.name === 'replica/us-east-1/primary/0')!;
    lab.ctx.effects.kill(dead.pid);
    const failures = await runUndoSteps(lab.ctx, [{ type: 'clear-agent-fault', replicaId: 'us-east-1/primary/0', faultId: 'f1' }, { type: 'clear-agent-fault', replicaId: 'us-east-1/primary/1', faultId: 'f1' }], 'f1');
    expect(failures).toEqual([]);
    expect(lab.calls.filter((c) => c.startsWith('agent-clear'))).toEqual([`agent-clear f1 ${state.processes.find((p) => p.name === 'replica/us-east-1/primary/1')!.address}`]);
  });
});
