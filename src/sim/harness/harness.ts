// The virtual-time harness (TigerBeetle's VOPR, FoundationDB's simulator): the real ControlPlane
// (health state machine, cluster failover), the real chaos engine and injectors, the real
// upstream pools (routing, passive ejection, re-admission) and the real GLB region choice run
// against a simulated world on one VirtualClock and one seeded Rng. Time jumps from timer to
// timer; after each instant the real code's promise continuations run to completion and the
// safety invariants are checked. Then every fault heals and the liveness window checks that the
// service came back. Same seed, same trace.
import { VirtualClock, settleMicrotasks, type Clock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import type { Topology } from '../../config/topology.js';
import { DEFAULT_HEALTH_POLICY, type HealthPolicyConfig } from '../../policy/health.js';
import { DEFAULT_FAILOVER_CONFIG, stepFailover } from '../../policy/failover.js';
import { ControlPlane, type RoutableSnapshot } from '../../controlplane/fleet/control-plane.js';
import type { FailoverStepFn } from '../../controlplane/failover/cluster-failover.js';
import { ChaosEngine, type FaultsStore, type ScheduledFault } from '../../chaos/engine.js';
import type { ActiveFault } from '../../chaos/faults-store.js';
import { UpstreamPool } from '../../gateway/regional/upstream-pool.js';
import { DEFAULT_GATEWAY_CONFIG } from '../../gateway/regional/config.js';
import { GlbRegions } from '../../gateway/global/regions.js';
import { DEFAULT_GLB_CONFIG } from '../../gateway/global/config.js';
import { EV } from '../../record/event-types.js';
import { DEFAULT_WORLD_TIMINGS, SimWorld } from './world.js';
import { DEFAULT_HISTORY, SIM_DEPLOY_OPTIONS, deployPlan, faultHistory, type DeployPlan, type HistoryConfig } from './fault-history.js';
import { DEFAULT_DEPLOY_CONFIG, type DeployConfig } from '../../policy/rollout-config.js';
import { DeployController, type DeploymentStatus } from '../../controlplane/deploy/controller.js';
import { INVARIANTS, SafetyChecks, detectionBoundMs, healthyBoundMs, type Violation } from './invariants.js';
import { Trace } from './trace.js';
import { DEFAULT_HA, SimControlPlaneHa, haFaults, type HaFault, type HaOptions } from './ha-sim.js';

export interface HarnessOptions {
  readonly topology: Topology;
  readonly seed: number;
  readonly history?: HistoryConfig;
  /** Run this schedule instead of a random history. */
  readonly schedule?: readonly ScheduledFault[];
  /** Run this deployment (null: none) instead of the seed's random one. */
  readonly deploy?: DeployPlan | null;
  /** After the last heal, the service must be back within this long (ms). */
  readonly livenessMs?: number;
  /** Each home region sends a client request this often (ms). */
  readonly requestIntervalMs?: number;
  readonly policy?: HealthPolicyConfig;
  /** The failover policy's step; a test swaps in a broken one. */
  readonly failoverStep?: FailoverStepFn;
  /** Keep every trace line (a replay); a sweep keeps only the hash. */
  readonly keepTrace?: boolean;
  /** Settle the event loop fully after every instant (slower; the fast path must give the same trace). */
  readonly strictSettle?: boolean;
  /** The control plane's HA (election, fenced writes) beside the run; false: none. */
  readonly ha?: Partial<HaOptions> | false;
  /** Run these control-plane instance faults instead of the seed's random ones. */
  readonly haFaults?: readonly HaFault[];
}

export interface RequestTally {
  readonly total: number;
  readonly served: number;
  readonly failed: number;
  /** Served with a wrong answer (a corrupt model): not an error the client can see. */
  readonly wrong: number;
}

export interface SeedResult {
  readonly seed: number;
  readonly schedule: readonly ScheduledFault[];
  readonly deploy?: DeployPlan;
  /** How the deployment ended (absent: none ran). */
  readonly deployState?: DeploymentStatus['state'];
  /** Why the deployment ended as it did (absent: none ran, or it succeeded). */
  readonly deployReason?: string;
  /** Client requests served while the deployment ran, by the model version that answered. */
  readonly deployServed?: Readonly<Record<string, number>>;
  readonly violations: readonly Violation[];
  readonly traceHash: string;
  readonly traceEvents: number;
  readonly trace?: readonly string[];
  /** Virtual time the run covered, ms. */
  readonly simulatedMs: number;
  readonly requests: RequestTally;
  /** The control plane's HA: state writes committed and refused by the fence. */
  readonly ha?: { readonly writes: number; readonly refused: number; readonly faults: readonly HaFault[] };
}

export const DEFAULT_LIVENESS_MS = 60_000;
export const DEFAULT_REQUEST_INTERVAL_MS = 200;
/** A deployment still running this long after the last heal has hung (virtual ms). */
const DEPLOY_END_MAX_MS = 30 * 60_000;
/** Bound on timer firings of one seed: a run that never goes quiet is a bug, not a hang. */
const STEPS_MAX = 5_000_000;
/** Microtask turns that settle a probe's, a check's or a re-admission's continuation. */
const SHALLOW_TURNS = 4;

const noop = (): void => undefined;

/**
 * Resolves SHALLOW_TURNS microtask turns from now, as that many `await null`s would (the same
 * order against other jobs), but with one resumption of the awaiting function instead of several.
 */
function shallowTurns(): Promise<void> {
  let p = Promise.resolve();
  for (let i = 1; i < SHALLOW_TURNS; i++) p = p.then(noop);
  return p;
}

function memoryFaultsStore(): FaultsStore {
  let faults: ActiveFault[] = [];
  return { read: () => faults, write: (_dir, next) => void (faults = [...next]) };
}

/** Runs one seed's fault history through the real classes; resolves with what the checks found. */
export async function runSeed(opts: HarnessOptions): Promise<SeedResult> {
  const { topology } = opts;
  const policy = opts.policy ?? DEFAULT_HEALTH_POLICY;
  const history = opts.history ?? DEFAULT_HISTORY;
  const livenessMs = opts.livenessMs ?? DEFAULT_LIVENESS_MS;
  const requestIntervalMs = opts.requestIntervalMs ?? DEFAULT_REQUEST_INTERVAL_MS;
  const clock = new VirtualClock(0);
  const rng = createRng(opts.seed);
  const trace = new Trace(clock, opts.keepTrace ?? false);
  const schedule = opts.schedule ?? faultHistory(rng.fork('history'), topology, history);
  const plan = opts.deploy === null ? undefined : (opts.deploy ?? deployPlan(rng.fork('deploy'), history));
  if (plan) trace.note(`schedule deploy ${plan.strategy} to ${plan.modelVersion} (${plan.behaviour}) at ${plan.atMs}ms`);
  for (const f of schedule) trace.note(`schedule ${f.faultId} ${f.kind} ${f.target} at ${f.atMs}ms for ${f.forMs ?? 'the run'}ms`);

  const world = new SimWorld(topology, clock, rng.fork('world'), policy, { ...DEFAULT_WORLD_TIMINGS, modelLoadMs: topology.modelLoadMs ?? 2000 });
  const cp = new ControlPlane(topology, world.prober(), policy, clock, trace.sink('controlplane'), DEFAULT_FAILOVER_CONFIG, world.drainer(), opts.failoverStep ?? stepFailover);
  const regions = topology.regions.map((r) => r.name);
  const pools = new Map(regions.map((r) => [r, new UpstreamPool(DEFAULT_GATEWAY_CONFIG, clock, trace.sink(`gateway/${r}`), rng.fork(`gateway/${r}`), undefined, world.circuitProbes())]));
  let routable: ReadonlySet<string> = new Set();
  let routableVersion = 0;
  cp.watch((s: RoutableSnapshot) => {
    routableVersion += 1;
    routable = new Set(s.replicas.filter((x) => x.routable).map((x) => x.replicaId));
    for (const [region, pool] of pools) pool.setTopology(s.replicas.filter((x) => x.routable && x.region === region));
  });
  world.gatewayAvailable = (region) => pools.get(region)?.availableCount() ?? 0;
  const checkUrl = (r: string): string => `sim-http://gateway/${r}`;
  const glb = new GlbRegions({ regions, check: Object.fromEntries(regions.map((r) => [r, checkUrl(r)])), via: {} }, DEFAULT_GLB_CONFIG, clock, trace.sink('glb'), world.regionCheck((url) => url.slice(checkUrl('').length)));
  const engine = new ChaosEngine({ paths: { home: '/sim', labDir: '/sim/lab', stateFile: '/sim/lab/state.json', lockFile: '/sim/lab.lock', eventsDir: '/sim/lab/events', logsDir: '/sim/lab/logs', procsDir: '/sim/lab/procs' }, topology, clock, effects: world.effects() }, trace.sink('chaos'), clock, undefined, memoryFaultsStore());
  // the deployment's steps are long promise chains woken by its own sleeps and timers: each wake-up
  // counts as edge activity, so the instant settles fully
  const deployClock: Clock = {
    nowMs: () => clock.nowMs(),
    monoMs: () => clock.monoMs(),
    setTimer: (ms, fn) =>
      clock.setTimer(ms, () => {
        world.edgeCalls += 1;
        fn();
      }),
    sleep: (ms, signal) => sleepCounted(ms, signal),
  };
  const sleepCounted = (ms: number, signal?: AbortSignal): Promise<void> =>
    clock.sleep(ms, signal).finally(() => {
      world.edgeCalls += 1;
    });
  // the controller's own defaults (a reconcile's bounds) are the simulated deployments' short ones
  const defaults: DeployConfig = { ...DEFAULT_DEPLOY_CONFIG, ...SIM_DEPLOY_OPTIONS };
  const deployer = new DeployController({ cp, topology, clock: deployClock, events: trace.sink('controlplane'), processes: world.deployProcesses(), sampler: world.deploySampler(), agent: world.deployAgent(), defaults });
  let deployment: DeploymentStatus | undefined;
  if (plan) {
    clock.setTimer(plan.atMs, () => {
      world.edgeCalls += 1;
      try {
        deployment = deployer.start({ modelVersion: plan.modelVersion, strategy: plan.strategy, behaviour: plan.behaviour, options: plan.options });
      } catch (err) {
        trace.note(`deploy refused: ${(err as Error).message}`);
      }
    });
  }
  const detectionMs = detectionBoundMs(policy);
  const checks = new SafetyChecks(topology, world, detectionMs, healthyBoundMs(policy));

  // the control plane's HA: leader election and fenced state writes on the in-memory etcd
  const haOpts = opts.ha === false ? undefined : { ...DEFAULT_HA, ...(opts.ha ?? {}) };
  const haSchedule = haOpts ? (opts.haFaults ?? haFaults(rng.fork('ha'), haOpts, history.warmupMs, history.historyMs - 10_000)) : [];
  for (const f of haSchedule) trace.note(`schedule control-plane ${f.kind} of ${f.target === 'leader' ? 'the leader' : `sim-cp-${f.target}`} at ${f.atMs}ms for ${f.forMs}ms`);
  const ha = haOpts
    ? new SimControlPlaneHa(clock, haOpts, {
        note: (what) => trace.note(what),
        twoLeaders: (subject, message) => checks.report(INVARIANTS.twoLeaders, subject, clock.nowMs(), message),
        activity: () => void (world.edgeCalls += 1),
        state: () => `v${cp.current().version}`,
      })
    : undefined;

  let total = 0;
  let served = 0;
  let wrong = 0;
  let clientsOn = true;
  const deployServed: Record<string, number> = {};
  // one set of tried regions and one of failed replicas, reused (a request every 200 ms per
  // region) and cleared only when used (Set.clear allocates a new table even for an empty set)
  const tried = new Set<string>();
  const excluded = new Set<string>();
  const serve = (home: string): void => {
    total += 1;
    if (tried.size > 0) tried.clear();
    for (let attempt = 0; attempt < DEFAULT_GLB_CONFIG.maxAttempts; attempt++) {
      const target = glb.pick(home, tried);
      if (!target) break;
      tried.add(target.region);
      const gw = world.gateways.get(target.region);
      if (!gw?.alive) {
        glb.eject(target.region, 'connect', 'connection refused');
        continue;
      }
      const pool = pools.get(target.region)!;
      if (excluded.size > 0) excluded.clear();
      for (let a = 0; a < DEFAULT_GATEWAY_CONFIG.maxAttempts; a++) {
        const u = pool.pick(excluded);
        if (!u) break;
        checks.routed(u.replicaId, target.region, clock.nowMs());
        const answer = world.answer(u.replicaId);
        if (answer.ok) {
          pool.recordSuccess(u.replicaId);
          served += 1;
          if (deployment?.state === 'running') {
            const v = world.replicas.get(u.replicaId)!.version;
            deployServed[v] = (deployServed[v] ?? 0) + 1;
          }
          if (answer.wrong) wrong += 1;
          tried.clear();
          return;
        }
        excluded.add(u.replicaId);
        pool.recordFailure(u, answer.kind, answer.reason);
      }
      glb.eject(target.region, 'status', 'the region could not answer');
    }
    trace.note(`request from ${home} failed (tried ${[...tried].join(', ') || 'no region'})`);
  };
  regions.forEach((home) => {
    const tick = (): void => {
      if (!clientsOn) return;
      serve(home);
      clock.setTimer(requestIntervalMs, tick);
    };
    clock.setTimer(history.warmupMs / 2, tick);
  });

  let steps = 0;
  const strict = opts.strictSettle ?? false;
  let checkedVersion = -1;
  let checkedRoutable = -1;
  /** The safety checks, when the world or the routable set changed or a bound ran out. */
  const checkInstant = (): void => {
    if (world.version !== checkedVersion || routableVersion !== checkedRoutable || clock.nowMs() >= checks.nextDeadlineMs) {
      checkedVersion = world.version;
      checkedRoutable = routableVersion;
      checks.step(clock.nowMs(), routable);
    }
  };
  /**
   * The fast path of runUntil: the same loop driven by `process.nextTick` callbacks instead of an
   * awaited promise per instant. A `process.nextTick` queued from a microtask runs only after
   * Node has drained the whole microtask queue (its tick loop runs microtasks to exhaustion before
   * the next tick; a tick queued from a tick callback would run before them, hence the
   * queueMicrotask). The simulated world is pure promise chains on the VirtualClock (no I/O, no
   * real timers, no nextTick of its own), so each callback sees the instant settled as a
   * `setImmediate` turn would leave it — without the event loop's poll, where a busy machine takes
   * the CPU away, and without a promise or an async frame per instant. It settles again while
   * edge activity moved (as the strict loop does), checks, and fires the next instant. The strict
   * rerun of every 10th seed settles with `setImmediate` and must give the same trace.
   */
  const runUntilFast = (untilMs: number, done: () => boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let settling = false;
      let edges = 0;
      const settle = (): void => queueMicrotask(queueLoop);
      const queueLoop = (): void => void process.nextTick(loop);
      const loop = (): void => {
        try {
          if (settling) {
            // after the first settle: again while edge activity moved since the instant fired, then
            // while it moved during the previous settle (the strict loop's do-while)
            if (world.edgeCalls !== edges) {
              edges = world.edgeCalls;
              return settle();
            }
            settling = false;
            checkInstant();
          }
          if (done()) return resolve();
          const next = clock.nextAtMs();
          if (next === undefined || next > untilMs) {
            if (!done()) clock.advanceTo(untilMs);
            return resolve();
          }
          edges = world.edgeCalls;
          while (clock.nextAtMs() === next) {
            clock.step();
            if (++steps > STEPS_MAX) throw new Error(`seed ${opts.seed}: over ${STEPS_MAX} timer firings`);
          }
          settling = true;
          settle();
        } catch (err) {
          reject(err as Error);
        }
      };
      loop();
    });
  /** Fires timers instant by instant until `untilMs`, or until `done()` holds. */
  const runUntil = async (untilMs: number, done: () => boolean = () => false): Promise<void> => {
    if (!strict) return runUntilFast(untilMs, done);
    for (;;) {
      if (done()) return;
      const next = clock.nextAtMs();
      if (next === undefined || next > untilMs) break;
      while (clock.nextAtMs() === next) {
        clock.step();
        if (++steps > STEPS_MAX) throw new Error(`seed ${opts.seed}: over ${STEPS_MAX} timer firings`);
      }
      // a probe's, a check's or a re-admission's continuation is one microtask turn away; chaos
      // steps, drains and process starts run longer chains: settle the event loop until they stop
      await shallowTurns();
      let seen: number;
      do {
        seen = world.edgeCalls;
        await settleMicrotasks();
      } while (world.edgeCalls !== seen);
      checkInstant();
    }
    if (!done()) clock.advanceTo(untilMs);
  };

  world.start(cp);
  glb.start();
  engine.start(schedule);
  ha?.start(haSchedule);
  await runUntil(history.historyMs);
  // every fault heals: what has not healed on schedule heals now, on the same clock
  let healed = false;
  void engine.stop().then(() => (healed = true));
  await runUntil(Number.MAX_SAFE_INTEGER, () => healed);
  // a deployment under way ends (rolled out, rolled back or failed) before the liveness window
  await runUntil(clock.nowMs() + DEPLOY_END_MAX_MS, () => deployment?.state !== 'running');
  const healedAtMs = clock.nowMs();
  await runUntil(healedAtMs + livenessMs);
  const endMs = clock.nowMs();
  clientsOn = false;

  // liveness: the record says every fault healed, the world is whole again, the service is back
  const injected = trace.events.filter((e) => e.type === EV.faultInjected).map((e) => e.subject);
  for (const id of injected) {
    const heal = trace.events.find((e) => e.subject === id && (e.type === EV.faultHealed || e.type === EV.faultHealFailed));
    if (heal?.type !== EV.faultHealed) checks.report(INVARIANTS.faultHealed, id, endMs, `fault ${id} ${heal ? `failed to heal: ${heal.reason ?? ''}` : 'was never healed'}`);
  }
  for (const r of world.replicas.values()) {
    if (!r.alive || r.faults.size > 0) checks.report(INVARIANTS.worldRestored, r.id, endMs, `${r.id} is ${!r.alive ? 'not running' : `still under ${[...r.faults.values()].map((f) => f.kind).join(', ')}`} after every fault healed`);
  }
  for (const g of world.gateways.values()) if (!g.alive) checks.report(INVARIANTS.worldRestored, `gateway/${g.region}`, endMs, `gateway/${g.region} is not running after every fault healed`);
  for (const e of cp.registry.replicas.values()) {
    if (!e.connected || e.health !== 'healthy') checks.report(INVARIANTS.recovered, e.id, endMs, `${e.id} is ${!e.connected ? 'disconnected' : e.health} ${livenessMs}ms after the last heal`);
  }
  for (const region of regions) {
    if (![...routable].some((id) => world.replicas.get(id)?.region === region)) checks.report(INVARIANTS.recovered, region, endMs, `${region} has no routable replica ${livenessMs}ms after the last heal`);
    if (!glb.available().includes(region)) checks.report(INVARIANTS.recovered, `glb/${region}`, endMs, `the GLB does not send traffic to ${region} ${livenessMs}ms after the last heal`);
  }

  if (ha) {
    const leaders = ha.leaders();
    if (leaders.length !== 1 || leaders[0] !== ha.storeLeader()) checks.report(INVARIANTS.recovered, 'controlplane', endMs, `${leaders.length === 0 ? 'no control-plane instance leads' : `${leaders.join(' and ')} believe they lead`} ${livenessMs}ms after the last heal (the store's leader: ${ha.storeLeader() ?? 'none'})`);
  }

  // rolled out or rolled back, never half-way: the deployment ended, the whole fleet runs one
  // version (the new one if it succeeded; the old one if it rolled back, or failed — a rollback
  // whose last step could not confirm a replica's health, because a fault of that replica's own
  // sat on it, still leaves every replica on the old version: that is rolled back, and the
  // deployment's reason says what could not be confirmed), and no replica is left held out of
  // routing by it
  if (deployment) {
    const d = deployment;
    const versions = new Set([...cp.registry.replicas.values()].map((e) => e.modelVersion));
    if (d.state === 'running') {
      checks.report(INVARIANTS.deployEnded, d.deployId, endMs, `deployment ${d.deployId} never ended; replicas run ${[...versions].join(', ')}`);
    } else {
      const want = d.state === 'succeeded' ? d.modelVersion : d.fromVersion;
      const off = [...cp.registry.replicas.values()].filter((e) => e.modelVersion !== want).map((e) => `${e.id} on ${e.modelVersion || 'nothing'}`);
      if (off.length > 0) checks.report(INVARIANTS.deployEnded, d.deployId, endMs, `deployment ${d.deployId} ${d.state}${d.state === 'failed' ? ` (${d.reason})` : ''} but ${off.join(', ')} (every replica should run ${want})`);
      const held = [...cp.registry.replicas.values()].filter((e) => e.held).map((e) => e.id);
      if (held.length > 0) checks.report(INVARIANTS.deployEnded, `${d.deployId} held`, endMs, `deployment ${d.deployId} ${d.state} and left ${held.join(', ')} held out of routing`);
    }
  }
  deployer.stop();
  ha?.stop();
  cp.stop();
  glb.close();
  for (const p of pools.values()) p.close();
  return {
    seed: opts.seed,
    schedule,
    ...(plan ? { deploy: plan } : {}),
    ...(deployment ? { deployState: deployment.state, deployServed } : {}),
    ...(deployment?.reason ? { deployReason: deployment.reason } : {}),
    violations: checks.violations,
    traceHash: trace.hash(),
    traceEvents: trace.count,
    ...(trace.lines ? { trace: trace.lines } : {}),
    simulatedMs: endMs,
    requests: { total, served, failed: total - served, wrong },
    ...(ha ? { ha: { writes: ha.writes, refused: ha.refused, faults: haSchedule } } : {}),
  };
}
