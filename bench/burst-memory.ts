// Benchmark: the peak memory of every lab process under a burst of concurrent streaming requests
// through the entry point (default 2,600 at once, as in issue 16, where a link proxy grew to
// ~650 MB and stayed there). Starts the default two-region lab, samples every process's resident
// memory (/proc/<pid>/status VmRSS) every 100 ms from before the burst until 10 s after it, and
// prints per process: RSS before, peak during, RSS after, and VmHWM (the kernel's peak since start).
// `npm run bench -- burst-memory` (HALAB_BURST_CONCURRENCY overrides 2600).
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { startLab, stopLab } from '../src/lab/lab.js';
import { labPaths } from '../src/process/paths.js';
import { cliLabAuth } from '../src/process/lab-secret.js';
import { useLabAuth } from '../src/protocol/lab-auth.js';

const MIB = 1024 * 1024;

/** VmRSS and VmHWM of a pid, bytes (undefined when it is gone). */
function memoryOf(pid: number): { rss: number; hwm: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), hwm: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

interface Row {
  name: string;
  pid: number;
  before: number;
  peak: number;
  after: number;
  hwm: number;
}

export async function benchBurstMemory(concurrency = Number(process.env.HALAB_BURST_CONCURRENCY ?? 2600)): Promise<void> {
  const paths = labPaths(mkdtempSync(join(tmpdir(), 'halab-bench-burst-')));
  useLabAuth(cliLabAuth(paths.labDir));
  const topology = loadTopology('cluster/two-region.yaml');
  const state = await startLab(topology, paths, realClock, { seed: 1 });
  const rows: Row[] = state.processes.map((p) => ({ name: p.name, pid: p.pid, before: memoryOf(p.pid)?.rss ?? 0, peak: 0, after: 0, hwm: 0 }));
  const sample = (): void => {
    for (const r of rows) r.peak = Math.max(r.peak, memoryOf(r.pid)?.rss ?? 0);
  };
  const sampler = setInterval(sample, 100);
  const dispatcher = new Agent({ connections: concurrency, headersTimeout: 0, bodyTimeout: 0, connect: { timeout: 30_000 } });
  const outcomes = new Map<string, number>();
  const count = (k: string): void => void outcomes.set(k, (outcomes.get(k) ?? 0) + 1);
  const body = JSON.stringify({ model: topology.model.name, stream: true, max_tokens: 32, messages: [{ role: 'user', content: 'burst '.repeat(32) }] });
  const t0 = realClock.monoMs();
  try {
    await Promise.all(
      Array.from({ length: concurrency }, async () => {
        try {
          const res = await request(`${state.entrypoint!}/v1/chat/completions`, { method: 'POST', dispatcher, headers: { 'content-type': 'application/json' }, body, signal: AbortSignal.timeout(120_000) });
          const text = await res.body.text();
          count(res.statusCode === 200 ? (text.includes('[DONE]') ? 'ok' : 'cut') : String(res.statusCode));
        } catch (err) {
          count(`error ${(err as { code?: string }).code ?? (err as Error).message.slice(0, 40)}`);
        }
      }),
    );
    const burstMs = realClock.monoMs() - t0;
    sample();
    await realClock.sleep(10_000);
    for (const r of rows) {
      const m = memoryOf(r.pid);
      r.after = m?.rss ?? 0;
      r.hwm = m?.hwm ?? 0;
    }
    clearInterval(sampler);
    const mib = (b: number): string => (b / MIB).toFixed(0).padStart(8);
    const lines = ['process                              pid   before    peak    after   VmHWM  (MiB)'];
    for (const r of rows) lines.push(`${r.name.padEnd(34)}${String(r.pid).padStart(7)}${mib(r.before)}${mib(r.peak)}${mib(r.after)}${mib(r.hwm)}`);
    const total = rows.reduce((a, r) => a + r.peak, 0);
    lines.push(`sum of peaks: ${(total / MIB).toFixed(0)} MiB`);
    lines.push(`${concurrency} concurrent streaming requests (32+32 tokens) in ${(burstMs / 1000).toFixed(1)} s: ${[...outcomes.entries()].map(([k, v]) => `${k} ${v}`).join(', ')}`);
    process.stdout.write(lines.join('\n') + '\n');
  } finally {
    clearInterval(sampler);
    await dispatcher.close().catch(() => undefined);
    await stopLab(paths, realClock);
  }
}
