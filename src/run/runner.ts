// `halab run <scenario>`: bring the lab up, put load on it, inject the fault schedule, record
// everything, heal, tear down, and measure. The exit code is the verdict. Ctrl-C (the signal
// passed in) stops the load, heals every fault and tears the lab down before returning.
import { copyFileSync, mkdirSync, writeFileSync, createWriteStream } from 'node:fs';
import { join, resolve } from 'node:path';
import { stringify as toYaml } from 'yaml';
import type { Clock, TimerHandle } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import { fileEventSink } from '../record/events.js';
import { EV } from '../record/event-types.js';
import { createRng } from '../core/rng.js';
import type { RequestRecord } from '../record/records.js';
import { loadTopology, buildTopology, type Topology } from '../config/topology.js';
import { resolveSchedule, type ResolvedFault, type Scenario } from '../config/scenario.js';
import { startLab, stopLab } from '../lab/lab.js';
import { collectLabEvents } from '../lab/event-merge.js';
import { eventsFile, type LabPaths } from '../process/paths.js';
import { createDriver } from '../load/drivers.js';
import type { K6Result } from '../load/k6-exit.js';
import { k6LoadOptions } from '../load/k6-options.js';
import { writeRunReport, type RunReport } from '../report/run-report.js';
import { evaluateAbort, type AbortPolicy, type AbortView } from './abort-monitor.js';
import { ChaosEngine } from '../chaos/engine.js';
import { DeploySchedule } from '../chaos/deploy-schedule.js';
import { Progress } from './progress.js';
import { validatedSchedule } from './validate-scenario.js';
import { ProcessWatch } from './process-watch.js';
import { readFaults, type ActiveFault } from '../chaos/faults-store.js';
import { isClientFaultKind } from '../config/fault-kinds.js';
import { clientFaultRecorder, clientFaultsOf } from './client-fault-schedule.js';
import { readBackAfterRun } from './readback-phase.js';
import { checkPrerequisites } from './prerequisites.js';
import { formatRecords } from '../record/record-io.js';
import { scaleTopologyDoc } from './time-scale.js';
import { moveAddresses } from './parallel-labs.js';
import type { Lockstep } from './lockstep.js';

/** After the load, a deployment still running gets this long to end before the lab goes down. */
const DEPLOY_END_GRACE_MS = 10_000;

export interface RunOptions {
  readonly scenario: Scenario;
  readonly scenarioFile: string;
  readonly seed: number;
  readonly outDir: string;
  readonly paths: LabPaths;
  readonly clock: Clock;
  readonly signal: AbortSignal;
  readonly log: (line: string) => void;
  /** Game-day abort conditions: stop, heal and end early when one fires. */
  readonly abort?: AbortPolicy;
  /** A parallel suite's worker: its lab's loopback address block (src/run/parallel-labs.ts). */
  readonly worker?: number;
  /** Parallel labs: the lab starts and puts load on in lock-step with the others (src/run/lockstep.ts). */
  readonly lockstep?: Lockstep;
}

export interface RunResult {
  readonly runDir: string;
  readonly report: RunReport;
  readonly interrupted: boolean;
  readonly aborted?: string;
}

/** The scenario's topology document with its overrides applied. */
export function scenarioTopologyDoc(scenario: Scenario): Record<string, unknown> {
  const { file: _f, clusters: _c, replicas: _r, llamacppEngine: l, ...doc } = loadTopology(scenario.topology);
  // the copy lives in the run directory: engine and model paths made absolute
  const llamacpp = l && doc.llamacpp ? { llamacpp: { ...doc.llamacpp, server: l.serverPath, models: l.models, corruptModel: l.corruptModel } } : {};
  return scaleTopologyDoc({ ...doc, ...llamacpp, ...(scenario.topologyOverrides ?? {}) }, scenario.timeScale ?? 1);
}

/** Writes the effective topology into the run directory (the lab's processes read that copy). */
function writeEffectiveTopology(scenario: Scenario, runDir: string, worker = 0): Topology {
  const doc = moveAddresses(scenarioTopologyDoc(scenario), worker);
  const file = join(runDir, 'topology.yaml');
  writeFileSync(file, toYaml(doc));
  return buildTopology(doc, file);
}

/**
 * The concrete fault schedule of a run: a pure function of the scenario, its topology and the
 * seed. "Serving" replicas are those of the primary clusters in the client's entry region (all of
 * them serve once the lab is up and healthy, which `startLab` waits for).
 */
export function scheduleFor(scenario: Scenario, topology: Topology, seed: number): ResolvedFault[] {
  const entryRegion = topology.regions[0]!.name;
  const primaries = new Set(topology.clusters.filter((c) => c.role === 'primary').map((c) => c.id));
  return resolveSchedule(
    scenario,
    {
      replicas: topology.replicas.map((r) => r.id),
      serving: topology.replicas.filter((r) => r.region === entryRegion && primaries.has(`${r.region}/${r.cluster}`)).map((r) => r.id),
      clusters: topology.clusters.map((c) => c.id),
      regions: topology.regions.map((r) => r.name),
    },
    createRng(seed).fork('schedule'),
  );
}

/** The lab's active faults, or none while the store is being replaced. */
function readFaultsOrNone(labDir: string): ActiveFault[] {
  try {
    return readFaults(labDir);
  } catch {
    return [];
  }
}

export async function runScenario(opts: RunOptions): Promise<RunResult> {
  const { scenario, seed, clock, paths, signal, log } = opts;
  const runDir = resolve(opts.outDir);
  mkdirSync(runDir, { recursive: true });
  copyFileSync(opts.scenarioFile, join(runDir, 'scenario.yaml'));
  const topology = writeEffectiveTopology(scenario, runDir, opts.worker);
  log(`scenario ${scenario.name}: seed ${seed}, ${scenario.durationMs / 1000}s${scenario.timeScale && scenario.timeScale !== 1 ? ` (time scale ${scenario.timeScale})` : ''}, ${topology.replicas.length} replicas; output ${runDir}`);

  const startedAtMs = clock.nowMs();
  let interrupted = signal.aborted;
  let driverName: string;
  let driverNote: string | undefined;
  let k6Result: K6Result | undefined;
  // every fault must be injectable here (Toxiproxy or root where needed; a command for each kind on
  // external endpoints) before anything starts
  const fullSchedule = validatedSchedule(scenario, topology, scheduleFor(scenario, topology, seed));
  // client-side faults are applied by the load driver; the chaos engine injects the rest
  const schedule = fullSchedule.filter((f) => !isClientFaultKind(f.kind));
  const clientFaults = clientFaultsOf(fullSchedule);
  if (!topology.external) checkPrerequisites(schedule.map((f) => f.kind), opts.scenarioFile);
  await opts.lockstep?.beforeStart();
  if (signal.aborted) throw new HalabError('INTERRUPTED', 'interrupted before the lab started');
  const labStartMs = clock.nowMs();
  const state = await startLab(topology, paths, clock, { seed });
  const events = fileEventSink(eventsFile(paths.labDir, 'chaos'), 'chaos', clock);
  events.emit(EV.labUp, 'lab', undefined, { startedMs: clock.nowMs() - labStartMs });
  // launched stand-ins' URLs are known now: faults use the resolved topology
  const liveTopology = resolve(state.topologyFile) === resolve(topology.file) ? topology : loadTopology(state.topologyFile);
  const engine = new ChaosEngine({ paths, topology: liveTopology, clock }, events, clock);
  const deploys = new DeploySchedule(state.controlPlane!, events, clock);
  const watch = new ProcessWatch({
    paths,
    events: fileEventSink(eventsFile(paths.labDir, 'process-watch'), 'lab', clock),
    clock,
    activeFaults: () => [...engine.activeFaults(), ...readFaultsOrNone(paths.labDir)],
    log,
  });
  watch.start();
  const recordsOut = createWriteStream(join(runDir, 'requests.ndjson'));
  const records: RequestRecord[] = [];
  const storedWrites: RequestRecord[] = [];
  let view: AbortView | undefined;
  let aborted: string | undefined;
  const progress = new Progress(
    {
      durationMs: scenario.durationMs,
      liveFaults: () => engine.activeFaults(),
      ...(opts.abort
        ? { extra: () => `p99 TTFT ${view?.windowTtftP99Ms ?? '-'}ms, error budget ${view ? Math.max(0, 100 - view.budgetBurn * 100).toFixed(0) : 100}% left` }
        : {}),
    },
    clock,
  );
  let monitor: TimerHandle | undefined;
  try {
    writeFileSync(join(runDir, 'schedule.json'), JSON.stringify(fullSchedule, null, 2));
    log(`lab up; entrypoint ${state.entrypoint}; ${fullSchedule.length} fault(s) scheduled: ${fullSchedule.map((f) => `${f.kind}@${f.target}+${f.atMs}ms`).join(', ') || 'none'}`);

    await opts.lockstep?.beforeLoad();
    const driver = createDriver(scenario.load.driver);
    driverName = driver.name;
    driverNote = driver.note;
    log(`load driver: ${driver.name}${driver.note ? ` (${driver.note})` : ''}`);
    const loadAbort = new AbortController();
    const onAbort = (): void => {
      interrupted = true;
      loadAbort.abort(new Error('interrupted'));
    };
    signal.addEventListener('abort', onAbort, { once: true });
    // a signal that came while the lab started (or waited for its lock-step turn) stops the load at once
    if (signal.aborted) onAbort();
    events.emit(EV.loadStarted, 'load', undefined, { driver: driver.name, ratePerSec: scenario.load.ratePerSec });
    progress.start();
    engine.start(schedule);
    deploys.start(scenario.deploys);
    const onRecord = (r: RequestRecord): void => {
      recordsOut.write(formatRecords([r]));
      // progress and abort conditions follow the well-behaved clients
      if (r.clientClass === undefined) progress.record(r);
      if (opts.abort && r.clientClass === undefined) records.push(r);
      if (r.storedId) storedWrites.push(r);
    };
    const policy = opts.abort;
    if (policy) {
      const check = (): void => {
        view = evaluateAbort(policy, records, clock.nowMs());
        if (view.abortReason && !aborted) {
          aborted = view.abortReason;
          log(`aborting: ${aborted}; healing every fault`);
          events.emit(EV.gamedayAborted, 'gameday', aborted);
          void engine.stop();
          loadAbort.abort(new Error('aborted'));
          return;
        }
        monitor = clock.setTimer(1000, check);
      };
      monitor = clock.setTimer(1000, check);
    }
    const summary = await driver.run(
      {
        entrypoint: state.entrypoint!,
        ratePerSec: scenario.load.ratePerSec,
        arrival: scenario.load.arrival,
        durationMs: scenario.durationMs,
        streaming: scenario.load.streaming,
        promptTokens: scenario.load.promptTokens,
        maxTokens: scenario.load.maxTokens,
        timeoutMs: scenario.load.timeoutMs,
        model: topology.model.name,
        seed,
        ...(scenario.load.clientRegion ? { clientRegion: scenario.load.clientRegion } : {}),
        ...k6LoadOptions(scenario),
        ...(scenario.load.store ? { store: true } : {}),
        // real llama.cpp engines: what they answer is not computable by the client
        ...(topology.clusters.some((c) => c.runtime === 'llamacpp') ? { answersKnown: false } : {}),
        ...(clientFaults.length ? { clientFaults, onClientFault: clientFaultRecorder(events) } : {}),
      },
      onRecord,
      loadAbort.signal,
    );
    signal.removeEventListener('abort', onAbort);
    if (scenario.load.store && !interrupted) await readBackAfterRun(runDir, storedWrites, topology, schedule, paths, clock, log);
    driverNote = summary.note ?? driver.note;
    k6Result = summary.k6;
    events.emit(EV.loadStopped, 'load', interrupted ? 'interrupted' : undefined, { ...summary });
  } finally {
    watch.stop();
    monitor?.cancel();
    progress.stop();
    await deploys.stop(interrupted ? 0 : DEPLOY_END_GRACE_MS);
    const failures = await engine.stop();
    if (failures.length) log(`warning: some faults did not heal cleanly: ${failures.join('; ')}`);
    await new Promise<void>((done) => recordsOut.end(done));
    const merged = collectLabEvents(paths.eventsDir, (t) => log(`warning: ${t.file}:${t.line}: a torn event line (${t.bytes} bytes, a process killed mid-write) was left out`));
    writeFileSync(join(runDir, 'events.ndjson'), formatRecords(merged));
    await stopLab(paths, clock);
  }
  const report = writeRunReport(runDir, {
    seed,
    startedAtMs,
    endedAtMs: clock.nowMs(),
    interrupted,
    scenarioFile: opts.scenarioFile,
    driver: driverName,
    ...(driverNote ? { driverNote } : {}),
    ...(k6Result ? { k6: k6Result } : {}),
    ...(aborted ? { aborted } : {}),
    ...(scenario.timeScale !== undefined && scenario.timeScale !== 1 ? { timeScale: scenario.timeScale } : {}),
  });
  return { runDir, report, interrupted, ...(aborted ? { aborted } : {}) };
}
