// Benchmark: what each hop of the entry path costs, against HAProxy over the same replicas. Starts
// the default two-region lab and Debian's HAProxy (leastconn over us-east-1's routable replicas,
// `option http-no-delay`) beside it, then drives open-loop streaming load (32+32 tokens) at each
// rate through four paths, interleaved: the replicas directly, HAProxy, the regional gateway, and
// the entry point (GLB → link proxy → gateway). Per path and rate: TTFT p50/p99, errors, and CPU
// seconds per 1,000 requests of the processes on that path (from /proc/<pid>/stat, workers
// included); then each path's ceiling (highest rate with no error and TTFT p99 < 2× its
// lowest-rate p99) and the ratios to HAProxy with the issue's targets.
// `npm run bench -- entry-path` (HALAB_ENTRY_RATES=50,150,… HALAB_ENTRY_STEP_S=5 to change the steps)
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { percentiles } from '../src/core/stats.js';
import { loadTopology } from '../src/config/topology.js';
import { glbAvailable, startLab, stopLab } from '../src/lab/lab.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { labPaths } from '../src/process/paths.js';
import { cliLabAuth } from '../src/process/lab-secret.js';
import { useLabAuth } from '../src/protocol/lab-auth.js';
import type { RequestRecord } from '../src/record/records.js';
import { startHaproxy, type RunningHaproxy } from './haproxy.js';
import { cpuSeconds } from './proc-cpu.js';

const RATES = (process.env.HALAB_ENTRY_RATES ?? '50,150,250,300,400').split(',').map(Number);
const STEP_MS = Number(process.env.HALAB_ENTRY_STEP_S ?? 5) * 1000;
const HOME = 'us-east-1';
const PATHS = ['direct', 'haproxy', 'gateway', 'entry'] as const;
type PathName = (typeof PATHS)[number];

interface Step {
  readonly path: PathName;
  readonly rate: number;
  readonly requests: number;
  readonly errors: number;
  readonly p50: number;
  readonly p99: number;
  /** CPU s per 1,000 requests of the proxies on the path (none for direct). */
  readonly proxyCpu: number;
  /** The same less what the proxies burn idle over the step's time (health checks, timers). */
  readonly proxyCpuNet: number;
  /** CPU s per 1,000 requests of the replicas. */
  readonly replicaCpu: number;
  readonly loadavg: string;
}

interface PathTarget {
  /** Base URLs the load is spread over (several only for direct). */
  readonly urls: readonly string[];
  /** Processes between the client and the replicas. */
  readonly pids: readonly number[];
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');

/** CPU s per s the processes use with no traffic, over `ms`. */
async function idleRate(pids: readonly number[], ms: number): Promise<number> {
  if (pids.length === 0) return 0;
  const before = cpuSeconds(pids);
  const t0 = realClock.monoMs();
  await realClock.sleep(ms);
  return (cpuSeconds(pids) - before) / ((realClock.monoMs() - t0) / 1000);
}

async function drive(target: PathTarget, rate: number, model: string, seed: number, replicaPids: readonly number[], path: PathName, idle = 0): Promise<Step> {
  const records: RequestRecord[] = [];
  const t0 = realClock.monoMs();
  const before = { proxy: cpuSeconds(target.pids), replicas: cpuSeconds(replicaPids) };
  // open loop, Poisson: n drivers at rate/n each are one Poisson stream at `rate`
  await Promise.all(
    target.urls.map((url, i) =>
      new BuiltinDriver().run(
        { entrypoint: url, ratePerSec: rate / target.urls.length, arrival: 'poisson', durationMs: STEP_MS, streaming: true, promptTokens: 32, maxTokens: 32, timeoutMs: 30_000, model, seed: seed * 16 + i, clientRegion: HOME },
        (r) => records.push(r),
        new AbortController().signal,
      ),
    ),
  );
  const proxy = cpuSeconds(target.pids) - before.proxy;
  const elapsedS = (realClock.monoMs() - t0) / 1000;
  const replicas = cpuSeconds(replicaPids) - before.replicas;
  const ttft = percentiles(records.filter((r) => r.firstTokenMs !== undefined).map((r) => r.firstTokenMs! - r.startMs));
  const errors = records.filter((r) => r.outcome !== 'ok').length;
  if (errors > 0) {
    const first = records.find((r) => r.outcome !== 'ok');
    process.stderr.write(`  ${path} @${rate}: ${errors} errors, e.g. ${(first?.reason ?? first?.outcome ?? '').slice(0, 160)}\n`);
  }
  const n = Math.max(1, records.length);
  return { path, rate, requests: records.length, errors, p50: ttft.p50 ?? NaN, p99: ttft.p99 ?? NaN, proxyCpu: (proxy / n) * 1000, proxyCpuNet: (Math.max(0, proxy - idle * elapsedS) / n) * 1000, replicaCpu: (replicas / n) * 1000, loadavg: loadavg() };
}

/** Highest rate (in order) with no error and TTFT p99 under twice the path's lowest-rate p99. */
function ceiling(steps: readonly Step[]): number {
  let best = 0;
  const base = steps[0]?.p99 ?? NaN;
  for (const s of steps) {
    if (s.errors > 0 || !(s.p99 < 2 * base)) break;
    best = s.rate;
  }
  return best;
}

const f = (x: number, d = 2): string => (Number.isFinite(x) ? x.toFixed(d) : '—');

export async function benchEntryPath(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'halab-bench-entry-'));
  const paths = labPaths(join(dir, 'lab'));
  // the bench speaks to the lab's control plane and GLB as its CLI would
  useLabAuth(cliLabAuth(paths.labDir));
  const topology = loadTopology('cluster/two-region.yaml');
  let haproxy: RunningHaproxy | undefined;
  const steps: Step[] = [];
  const idle: Record<PathName, number> = { direct: 0, haproxy: 0, gateway: 0, entry: 0 };
  process.stderr.write(`load average at start: ${loadavg()}\n`);
  try {
    const state = await startLab(topology, paths, realClock, { seed: 1, timeoutMs: 60_000 });
    const serving = new Set(topology.clusters.filter((c) => c.region === HOME && c.role === 'primary').map((c) => c.name));
    const replicas = state.processes.filter((p) => p.kind === 'replica' && topology.replicas.some((r) => r.id === p.subject && r.region === HOME && serving.has(r.cluster)));
    const gateway = state.processes.find((p) => p.kind === 'gateway' && p.subject === HOME)!;
    const glb = state.processes.find((p) => p.kind === 'glb')!;
    const links = state.processes.filter((p) => p.kind === 'toxiproxy').map((p) => p.pid);
    haproxy = await startHaproxy(dir, replicas.map((r) => r.url!));
    for (let i = 0; i < 50 && !(await glbAvailable(state.entrypoint!)).includes(HOME); i++) await realClock.sleep(200);
    const targets: Record<PathName, PathTarget> = {
      direct: { urls: replicas.map((r) => r.url!), pids: [] },
      haproxy: { urls: [haproxy.url], pids: [haproxy.pid] },
      gateway: { urls: [gateway.url!], pids: [gateway.pid] },
      entry: { urls: [state.entrypoint!], pids: [glb.pid, ...links, gateway.pid] },
    };
    const replicaPids = replicas.map((r) => r.pid);
    process.stderr.write(`HAProxy ${haproxy.version} over ${replicas.length} replicas; ${state.links ? 'entry path through the link proxy' : `no link proxy (${state.linksNote ?? 'toxiproxy missing'})`}\n`);
    // what each path's processes burn with no traffic (subtracted in the net column)
    for (const p of PATHS) idle[p] = await idleRate(targets[p].pids, 3000);
    process.stderr.write(`idle CPU (s/s): ${PATHS.map((p) => `${p} ${f(idle[p], 4)}`).join(', ')}\n`);
    // warm-up: connections, JIT
    for (const p of PATHS) await drive(targets[p], 20, topology.model.name, 999, replicaPids, p);
    for (const rate of RATES) {
      for (const p of PATHS) {
        const s = await drive(targets[p], rate, topology.model.name, rate, replicaPids, p, idle[p]);
        steps.push(s);
        process.stderr.write(`  ${p.padEnd(7)} ${String(rate).padStart(4)} req/s: TTFT p50 ${f(s.p50, 0)} p99 ${f(s.p99, 0)} ms, ${s.errors} errors, proxy CPU ${f(s.proxyCpu)} (net ${f(s.proxyCpuNet)}) s/1000 (load ${s.loadavg})\n`);
        await realClock.sleep(1000);
      }
    }
  } finally {
    await haproxy?.stop();
    await stopLab(paths, realClock);
    rmSync(dir, { recursive: true, force: true });
  }
  const at = (p: PathName, rate: number): Step | undefined => steps.find((s) => s.path === p && s.rate === rate);
  const lines = [`idle CPU of the proxies (s/s): ${PATHS.map((p) => `${p} ${f(idle[p], 4)}`).join(', ')}`, 'rate  path     requests errors  TTFT p50  TTFT p99  proxy CPU s/1000  (net of idle)  replica CPU s/1000  CPU ×HAProxy  net ×HAProxy  p99 ×HAProxy  load avg'];
  for (const rate of RATES) {
    for (const p of PATHS) {
      const s = at(p, rate)!;
      const h = at('haproxy', rate)!;
      const ratio = p === 'gateway' || p === 'entry' ? [f(s.proxyCpu / h.proxyCpu), f(s.proxyCpuNet / h.proxyCpuNet), f(s.p99 / h.p99)] : ['', '', ''];
      lines.push(`${String(rate).padStart(4)}  ${p.padEnd(8)} ${String(s.requests).padStart(8)} ${String(s.errors).padStart(6)} ${f(s.p50, 0).padStart(9)} ${f(s.p99, 0).padStart(9)} ${(p === 'direct' ? '—' : f(s.proxyCpu)).padStart(17)} ${(p === 'direct' ? '—' : f(s.proxyCpuNet)).padStart(14)} ${f(s.replicaCpu).padStart(19)} ${ratio[0]!.padStart(13)} ${ratio[1]!.padStart(13)} ${ratio[2]!.padStart(13)}  ${s.loadavg}`);
    }
  }
  const ceilings = Object.fromEntries(PATHS.map((p) => [p, ceiling(steps.filter((s) => s.path === p))])) as Record<PathName, number>;
  lines.push(`ceiling (highest rate, no error, TTFT p99 < 2× its ${RATES[0]} req/s value): ${PATHS.map((p) => `${p} ${ceilings[p]}`).join(', ')} req/s`);
  const t = RATES.includes(300) ? 300 : RATES[RATES.length - 1]!;
  const g = at('gateway', t);
  const h = at('haproxy', t);
  const e = at('entry', t);
  if (g && h && e) {
    const verdict = (ok: boolean): string => (ok ? 'met' : 'MISSED');
    lines.push(`targets at ${t} req/s: gateway CPU ${f(g.proxyCpu / h.proxyCpu)}× HAProxy (≤ 1.5: ${verdict(g.proxyCpu <= 1.5 * h.proxyCpu)}; net of idle ${f(g.proxyCpuNet / h.proxyCpuNet)}×), gateway TTFT p99 ${f(g.p99 / h.p99)}× (≤ 1.5: ${verdict(g.p99 <= 1.5 * h.p99)}), entry CPU ${f(e.proxyCpu / h.proxyCpu)}× (≤ 2.5: ${verdict(e.proxyCpu <= 2.5 * h.proxyCpu)}; net of idle ${f(e.proxyCpuNet / h.proxyCpuNet)}×)`);
    if (g.errors + e.errors > 0) lines.push(`  (requests shed or failed at ${t} req/s cost less than served ones: CPU per request there is not comparable)`);
  }
  lines.push(`entry ceiling ${ceilings.entry} vs gateway ${ceilings.gateway} req/s: ${ceilings.gateway > 0 ? f(ceilings.entry / ceilings.gateway) : '—'}× (≥ 0.8)`);
  lines.push(`(${STEP_MS / 1000} s steps, Poisson, streaming, 32+32 tokens; paths interleaved per rate; load average at end ${loadavg()})`);
  process.stdout.write(lines.join('\n') + '\n');
}
