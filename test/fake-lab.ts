// Test kit for fault injectors: a lab that exists only as a state object and fake side effects
// that log every call, so a test can make the n-th injecting action fail and check what healed.
import { realClock } from '../src/core/clock.js';
import { loadTopology, type Topology } from '../src/config/topology.js';
import type { Effects } from '../src/chaos/injectors/effects.js';
import type { InjectorContext } from '../src/chaos/injectors/injector.js';
import type { LabState } from '../src/process/lab-state.js';
import type { LabPaths } from '../src/process/paths.js';

const paths: LabPaths = { home: '/nonexistent', labDir: '/nonexistent/lab', stateFile: '/nonexistent/lab/state.json', lockFile: '', eventsDir: '', logsDir: '', procsDir: '' };

/** A running two-region lab: a gateway per region, us-east-1's replicas, two control-plane instances, three link proxies into us-east-1. */
export function labState(): LabState {
  const replicas = [0, 1, 2, 3].map((i) => ({ name: `replica/us-east-1/primary/${i}`, kind: 'replica' as const, pid: 100 + i, subject: `us-east-1/primary/${i}`, address: `127.0.1.1:${7000 + i}`, args: [] }));
  return {
    labDir: paths.labDir,
    topologyFile: 'cluster/two-region.yaml',
    startedAtMs: 0,
    ownerPid: 1,
    controlPlane: '127.0.0.1:6000,127.0.0.1:6001',
    processes: [
      { name: 'gateway/us-east-1', kind: 'gateway', pid: 10, subject: 'us-east-1', url: 'http://127.0.1.1:8000', args: [] },
      { name: 'gateway/us-west-2', kind: 'gateway', pid: 11, subject: 'us-west-2', url: 'http://127.0.2.1:8000', args: [] },
      ...replicas,
      { name: 'controlplane/0', kind: 'controlplane', pid: 20, subject: 'us-east-1', address: '127.0.0.1:6000', args: [] },
      { name: 'controlplane/1', kind: 'controlplane', pid: 21, subject: 'us-west-2', address: '127.0.0.1:6001', args: [] },
    ],
    links: {
      api: 'http://127.0.0.1:8474',
      proxies: ['glb', 'us-west-2', 'eu-west-1'].map((from, i) => ({ name: `${from}>us-east-1`, from, to: 'us-east-1', listen: `127.0.1.1:${9000 + i}`, upstream: '127.0.1.1:8000', latencyMs: 0 })),
    },
  };
}

export interface FakeLab {
  readonly ctx: InjectorContext;
  /** Every side effect, in order, as "<effect> <subject>". */
  readonly calls: string[];
}

/**
 * Fake effects over `state`: the `failAt`-th injecting action (kill, agent inject, proxy disable,
 * toxic, iptables add, inject command, wipe) throws; undo effects listed in `failing` throw too.
 */
export function fakeLab(opts: { failAt?: number; failing?: readonly string[]; topology?: Topology; state?: LabState } = {}): FakeLab {
  const calls: string[] = [];
  const killed = new Set<number>();
  let actions = 0;
  const act = (call: string): void => {
    calls.push(call);
    if (++actions === opts.failAt) throw new Error(`${call} failed`);
  };
  const undo = (call: string): void => {
    calls.push(call);
    if (opts.failing?.includes(call)) throw new Error(`${call} failed`);
  };
  const state = opts.state ?? labState();
  const effects: Effects = {
    labState: () => state,
    kill: (pid) => {
      killed.add(pid);
      act(`kill ${state.processes.find((p) => p.pid === pid)?.name ?? pid}`);
    },
    isAlive: (pid) => !killed.has(pid),
    restart: async (_paths, name) => undo(`restart ${name}`),
    agentInject: async (address, spec) => act(`agent-inject ${spec.kind} ${address}`),
    agentClear: async (address, faultId) => undo(`agent-clear ${faultId} ${address}`),
    setProxyEnabled: async (_api, proxy, enabled) => (enabled ? undo(`enable ${proxy}`) : act(`disable ${proxy}`)),
    addLatencyToxic: async (_api, proxy, toxic) => act(`add-toxic ${toxic} ${proxy}`),
    removeToxic: async (_api, proxy, toxic) => undo(`remove-toxic ${toxic} ${proxy}`),
    firewallUnavailable: () => undefined,
    addRules: (rules) => act(`iptables-add ${rules[0]![7]}`),
    deleteRules: (rules) => undo(`iptables-delete ${rules[0]![7]}`),
    runCommand: async (command) => {
      if (command.startsWith('heal')) undo(command);
      else act(command);
      return { command, exitCode: 0, output: `ran ${command}` };
    },
    controlPlaneLeader: async () => 'controlplane/1',
    wipeControlPlane: async () => act('wipe controlplane'),
    wipeRegionState: (_labDir, region) => act(`wipe ${region}`),
    restoreControlPlane: async () => undo('restore controlplane'),
  };
  const topology = opts.topology ?? loadTopology('cluster/two-region.yaml');
  return { ctx: { paths, topology, clock: realClock, effects }, calls };
}
