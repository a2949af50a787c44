// Benchmark: what a lab of 12…192 stand-in replicas costs. Per size (a generated two-region
// topology, primary 2/3 and backup 1/3 of each region's replicas): `halab up` time, RSS of the
// replica processes (sum and per replica), idle CPU per replica (% of one core over a window with
// no traffic), the whole lab's idle CPU, log growth at idle (extrapolated to 30 minutes), and
// TTFT p50/p99 of streaming requests at 20 req/s through the entry point. Prints the load average.
// `npm run bench -- lab-scale`; HALAB_SCALE_SIZES=12,48 picks sizes, HALAB_SCALE_IDLE_S the window
// (default 60), HALAB_SCALE_HOST=process|shared the replica host mode (default: the topology's, and
// `shared` for a size past what a lab runs as one process per replica).
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { MAX_REPLICAS_TOTAL, loadTopology } from '../src/config/topology.js';
import { startLab, stopLab } from '../src/lab/lab.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { labPaths } from '../src/process/paths.js';
import type { RequestRecord } from '../src/record/records.js';
import type { ProcessEntry } from '../src/process/lab-state.js';
import { percentiles } from '../src/core/stats.js';
import { useLabAuth } from '../src/protocol/lab-auth.js';
import { cliLabAuth } from '../src/process/lab-secret.js';

const SIZES = [12, 48, 96, 192];
const CLK_TCK = 100;
const LOAD_RATE = 20;
const LOAD_MS = 20_000;

/** A two-region topology of `n` stand-in replicas (n divisible by 6 keeps the 2:1 split exact). */
export function scaleTopologyYaml(n: number, replicaHost?: string): string {
  const perRegion = Math.floor(n / 2);
  const primary = Math.max(1, Math.round((perRegion * 2) / 3));
  const backup = Math.max(1, perRegion - primary);
  const region = (name: string, host: string, primaryName: string): string =>
    `  - name: ${name}\n    host: ${host}\n    clusters:\n      - { name: ${primaryName}, role: primary, gpus: ${primary} }\n      - { name: backup, role: backup, gpus: ${backup} }\n`;
  return [
    `name: scale-${n}`,
    'model: { name: llama-3-8b-instruct, version: v1 }',
    'profile: h100-llama3-8b',
    'timeScale: 1',
    'modelLoadMs: 2000',
    ...(replicaHost ? [`replicaHost: ${replicaHost}`] : []),
    'links: { interRegionLatencyMs: 30 }',
    'regions:',
    region('us-east-1', '127.0.1.1', 'primary') + region('us-west-2', '127.0.2.1', 'secondary'),
  ].join('\n');
}

function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(f[11]) + Number(f[12]);
  } catch {
    return 0;
  }
}

function rssBytes(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

function logBytes(labDir: string): Map<string, number> {
  const out = new Map<string, number>();
  const walk = (dir: string): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return;
    }
    for (const n of names) {
      const p = join(dir, n);
      const s = statSync(p, { throwIfNoEntry: false });
      if (!s) continue;
      if (s.isDirectory()) walk(p);
      else if (/\.log(\.\d+)?$|\.out$/.test(n)) out.set(p.slice(labDir.length + 1), s.size);
    }
  };
  walk(labDir);
  return out;
}

const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const mib = (b: number): string => (b / 1048576).toFixed(1);

/** Distinct pids of the lab's replica processes (a replica host counts once). */
function replicaPids(processes: readonly ProcessEntry[]): number[] {
  return [...new Set(processes.filter((p) => p.kind === 'replica' || (p.kind as string) === 'replica-host').map((p) => p.pid))];
}

export async function benchLabScale(sizes: readonly number[] = (process.env.HALAB_SCALE_SIZES ?? '').split(',').filter(Boolean).map(Number)): Promise<void> {
  const idleMs = Number(process.env.HALAB_SCALE_IDLE_S ?? 60) * 1000;
  const mode = process.env.HALAB_SCALE_HOST;
  const rows: string[] = [];
  const header = 'replicas  host     up s  RSS sum MiB  RSS/replica MiB  idle CPU %core/replica  lab idle %core  log KB/s idle  log 30 min MB  TTFT p50 ms  TTFT p99 ms  ok/sent  loadavg';
  for (const n of sizes.length > 0 ? sizes : SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'halab-bench-scale-'));
    const file = join(dir, `scale-${n}.yaml`);
    // past MAX_REPLICAS_TOTAL a lab refuses one process per replica: such a size runs on replica hosts
    const hostMode = mode ?? (n > MAX_REPLICAS_TOTAL ? 'shared' : undefined);
    if (hostMode !== mode) process.stderr.write(`${n} replicas: more than ${MAX_REPLICAS_TOTAL} as processes; run with replicaHost: shared\n`);
    writeFileSync(file, scaleTopologyYaml(n, hostMode));
    const topology = loadTopology(file);
    const paths = labPaths(join(dir, 'home'));
    // the bench calls the lab's components (status) as the CLI does
    useLabAuth(cliLabAuth(paths.labDir));
    const started = realClock.monoMs();
    try {
      const state = await startLab(topology, paths, realClock, { seed: 1, timeoutMs: 240_000 });
      const upS = (realClock.monoMs() - started) / 1000;
      process.stderr.write(`${n} replicas: up in ${upS.toFixed(1)} s (load ${loadavg()}); idle window ${idleMs / 1000} s\n`);
      await realClock.sleep(5000);
      const replicas = replicaPids(state.processes);
      const all = [...new Set(state.processes.map((p) => p.pid))];
      const t0 = new Map(all.map((p) => [p, cpuTicks(p)]));
      const logs0 = logBytes(paths.labDir);
      const w0 = realClock.monoMs();
      await realClock.sleep(idleMs);
      const windowS = (realClock.monoMs() - w0) / 1000;
      const used = (pids: readonly number[]): number => pids.reduce((s, p) => s + cpuTicks(p) - (t0.get(p) ?? 0), 0) / CLK_TCK;
      const replicaPct = (used(replicas) / windowS / n) * 100;
      const labPct = (used(all) / windowS) * 100;
      const logs1 = logBytes(paths.labDir);
      let grown = 0;
      for (const [k, v] of logs1) grown += Math.max(0, v - (logs0.get(k) ?? 0));
      const logRate = grown / windowS;
      const rss = replicas.reduce((s, p) => s + rssBytes(p), 0);
      const records: RequestRecord[] = [];
      await new BuiltinDriver().run(
        { entrypoint: state.entrypoint!, ratePerSec: LOAD_RATE, arrival: 'poisson', durationMs: LOAD_MS, streaming: true, promptTokens: 32, maxTokens: 32, timeoutMs: 30_000, model: topology.model.name, seed: n },
        (r) => records.push(r),
        new AbortController().signal,
      );
      const ttft = percentiles(records.filter((r) => r.firstTokenMs !== undefined).map((r) => r.firstTokenMs! - r.startMs));
      const ok = records.filter((r) => r.outcome === 'ok').length;
      const reasons = new Map<string, number>();
      for (const r of records) if (r.outcome !== 'ok') reasons.set((r.reason ?? r.outcome).slice(0, 120), (reasons.get((r.reason ?? r.outcome).slice(0, 120)) ?? 0) + 1);
      const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
      if (top) process.stderr.write(`${n} replicas: ${records.length - ok} failed; most frequent (${top[1]}×): ${top[0]}\n`);
      const row = [
        String(n).padStart(8), (hostMode ?? 'process').padEnd(7), upS.toFixed(1).padStart(5), mib(rss).padStart(12), mib(rss / n).padStart(16), replicaPct.toFixed(2).padStart(23),
        labPct.toFixed(1).padStart(14), (logRate / 1024).toFixed(2).padStart(14), ((logRate * 1800) / 1048576).toFixed(1).padStart(13),
        String(Math.round(ttft.p50 ?? 0)).padStart(11), String(Math.round(ttft.p99 ?? 0)).padStart(11), `${ok}/${records.length}`.padStart(8), `  ${loadavg()}`,
      ].join('  ');
      rows.push(row);
      process.stderr.write(`${header}\n${row}\n`);
    } catch (err) {
      rows.push(`${String(n).padStart(8)}  failed: ${(err as Error).message.split('\n')[0]}`);
      process.stderr.write(`${n} replicas failed: ${(err as Error).message}\n`);
    } finally {
      await stopLab(paths, realClock);
      rmSync(dir, { recursive: true, force: true });
    }
  }
  process.stdout.write(`${header}\n${rows.join('\n')}\n(idle window ${idleMs / 1000} s; load ${LOAD_RATE} req/s streaming 32+32 tokens for ${LOAD_MS / 1000} s; replica host mode ${mode ?? 'topology default'}; CPU from /proc/<pid>/stat)\n`);
}
