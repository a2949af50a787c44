// The side effects injectors and undo steps have on the lab, as one value: the real ones by default,
// fakes in tests (so an injector's undo-on-failure can be tested without a running lab).
import { rmSync } from 'node:fs';
import type { Clock } from '../../core/clock.js';
import type { Topology } from '../../config/topology.js';
import { getStatus } from '../../lab/cp-client.js';
import { addRules, deleteRules, firewallUnavailable } from '../../lab/firewall.js';
import { restartProcess } from '../../lab/lab.js';
import { addLatencyToxic, removeToxic, setProxyEnabled } from '../../lab/link-proxies.js';
import { restoreControlPlane, wipeControlPlaneState } from '../../lab/restore.js';
import { readLabState, type LabState } from '../../process/lab-state.js';
import { isAlive } from '../../process/launcher.js';
import type { LabPaths } from '../../process/paths.js';
import { killNow } from '../../process/reaper.js';
import { killContainer, pauseContainer, unpauseContainer } from '../../process/container-runtime.js';
import { regionStateDir } from '../../process/state-paths.js';
import { agentClearFault, agentInjectFault } from '../../replica/agent-client.js';
import type { FaultSpec } from '../../gen/halab/v1/FaultSpec.js';
import { runCommand, type CommandResult } from './run-command.js';

export interface Effects {
  readonly labState: (paths: LabPaths) => LabState | undefined;
  /** SIGKILL. */
  readonly kill: (pid: number) => void;
  readonly isAlive: (pid: number) => boolean;
  /**
   * docker kill, pause and unpause of a container replica (`container: true` clusters); optional:
   * fakes and the simulator have no containers (containerEffect says so when one is asked for).
   */
  readonly containerKill?: (id: string) => Promise<void>;
  /** Returns how it froze: paused (cgroup freezer) or stopped (SIGSTOP of every task, when the freezer gave up). */
  readonly containerPause?: (id: string) => Promise<'paused' | 'stopped'>;
  readonly containerUnpause?: (id: string, how: 'paused' | 'stopped') => Promise<unknown>;
  /** Restarts a lab process with its original arguments and waits until it is ready. */
  readonly restart: (paths: LabPaths, processName: string, clock: Clock) => Promise<unknown>;
  readonly agentInject: (address: string, spec: FaultSpec, clock: Clock) => Promise<unknown>;
  readonly agentClear: (address: string, faultId: string, clock: Clock) => Promise<unknown>;
  readonly setProxyEnabled: (apiUrl: string, proxy: string, enabled: boolean) => Promise<void>;
  readonly addLatencyToxic: (apiUrl: string, proxy: string, toxic: string, latencyMs: number) => Promise<void>;
  readonly removeToxic: (apiUrl: string, proxy: string, toxic: string) => Promise<void>;
  /** Why iptables cannot be used here, or undefined when it can. */
  readonly firewallUnavailable: () => string | undefined;
  readonly addRules: (rules: readonly string[][]) => void;
  readonly deleteRules: (rules: readonly string[][]) => void;
  /** Runs a fault command; `labDir` names the lab whose credentials it gets ($HALAB_AUTH_HEADER). */
  readonly runCommand: (command: string, timeoutMs: number, labDir?: string) => Promise<CommandResult>;
  /** The name of the control-plane instance that leads. */
  readonly controlPlaneLeader: (address: string, clock: Clock) => Promise<string>;
  readonly wipeControlPlane: (paths: LabPaths, topology: Topology, state: LabState) => Promise<void>;
  readonly wipeRegionState: (labDir: string, region: string) => void;
  readonly restoreControlPlane: (paths: LabPaths, clock: Clock) => Promise<unknown>;
}

export const realEffects: Effects = {
  labState: readLabState,
  kill: killNow,
  isAlive,
  containerKill: killContainer,
  containerPause: pauseContainer,
  containerUnpause: unpauseContainer,
  restart: restartProcess,
  agentInject: agentInjectFault,
  agentClear: agentClearFault,
  setProxyEnabled,
  addLatencyToxic,
  removeToxic,
  firewallUnavailable,
  addRules,
  deleteRules,
  runCommand,
  controlPlaneLeader: async (address, clock) => (await getStatus(address, clock)).instance,
  wipeControlPlane: wipeControlPlaneState,
  wipeRegionState: (labDir, region) => rmSync(regionStateDir(labDir, region), { recursive: true, force: true }),
  restoreControlPlane: (paths, clock) => restoreControlPlane(paths, clock, {}),
};

/** A container effect, or an error naming it when these effects have none (a fake or the simulator). */
export function containerEffect<K extends 'containerKill' | 'containerPause' | 'containerUnpause'>(fx: Effects, key: K): NonNullable<Effects[K]> {
  const f = fx[key];
  if (!f) throw new Error(`${key}: these effects have no containers`);
  return f as NonNullable<Effects[K]>;
}
