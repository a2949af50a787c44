// healFault runs undo steps last first and reports every failure; the injector table covers the
// whole fault catalogue, one injector per kind.
import { describe, expect, it } from 'vitest';
import { fakeLab } from '../../../test/fake-lab.js';
import { FAULT_KINDS } from '../../config/fault-kinds.js';
import { healFault } from '../injectors.js';
import { INJECTOR_BY_KIND, INJECTORS, injectorTable } from './table.js';

describe('healFault', () => {
  it('runs the steps last first, one at a time, and reports every failure without stopping', async () => {
    const lab = fakeLab({ failing: ['restart gateway/us-east-1', 'heal b'] });
    const failures = await healFault(lab.ctx, {
      id: 'f1',
      kind: 'region.outage',
      target: 'us-east-1',
      replicas: [],
      injectedAtMs: 0,
      undo: [
        { type: 'restart', processName: 'gateway/us-east-1' },
        { type: 'command', command: 'heal b', timeoutMs: 1000 },
        { type: 'iptables', rules: [['-d', '127.0.1.1/32', '-p', 'tcp', '-m', 'tcp', '--dport', '8000']] },
        { type: 'link-enable', proxy: 'glb>us-east-1' },
        { type: 'restart', processName: 'replica/us-east-1/primary/0' },
      ],
    });
    expect(lab.calls).toEqual(['restart replica/us-east-1/primary/0', 'enable glb>us-east-1', 'iptables-delete 8000', 'heal b', 'restart gateway/us-east-1']);
    expect(failures).toEqual(['f1: heal b failed', 'f1: restart gateway/us-east-1 failed']);
  });

  it('falls back to restarting the control plane when the restore fails', async () => {
    const lab = fakeLab({ failing: ['restore controlplane'] });
    const failures = await healFault(lab.ctx, { id: 'f2', kind: 'controlplane.disaster', target: 'controlplane', replicas: [], injectedAtMs: 0, undo: [{ type: 'restore-controlplane' }] });
    expect(lab.calls).toEqual(['restore controlplane', 'restart controlplane/0', 'restart controlplane/1']);
    expect(failures).toEqual(['f2: restore failed (restore controlplane failed); the control plane was restarted on empty state']);
  });
});

describe('injector table', () => {
  it('gives every kind of the catalogue exactly one injector', () => {
    for (const { kind } of FAULT_KINDS) expect(INJECTORS.filter((i) => i.kinds.includes(kind)).map((i) => i.family), kind).toEqual([INJECTOR_BY_KIND.get(kind)!.family]);
    expect(new Set(INJECTORS.map((i) => i.family)).size).toBe(INJECTORS.length);
  });

  it('refuses a kind without an injector, a kind with two, and a kind outside the catalogue', () => {
    const a = { family: 'a', kinds: ['x.one'], inject: async () => ({ replicas: [] }) };
    const b = { family: 'b', kinds: ['x.one', 'x.two'], inject: async () => ({ replicas: [] }) };
    expect(() => injectorTable([a], ['x.one', 'x.two'])).toThrow('fault kinds without an injector: x.two');
    expect(() => injectorTable([a, b], ['x.one', 'x.two'])).toThrow('fault kind x.one has two injectors: a and b');
    expect(() => injectorTable([b], ['x.one'])).toThrow('the b injector claims x.two, which is not in the fault catalogue');
  });
});
