// Benchmark: the highest rate the entry point (the GLB of the default two-region lab) sustains
// before it sheds. Streaming requests at rising rates, a few seconds each; per step: requests,
// answered ok, shed (429), other failures, and TTFT p50/p99 of the answered ones.
// `npm run bench -- entrypoint-capacity` (HALAB_BENCH_RATES=50,150,300 picks the rates)
import { mkdtempSync } from 'node:fs';
import { request } from 'undici';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import { loadTopology } from '../src/config/topology.js';
import { startLab, stopLab } from '../src/lab/lab.js';
import { BuiltinDriver } from '../src/load/builtin-driver.js';
import { labPaths } from '../src/process/paths.js';
import type { RequestRecord } from '../src/record/records.js';
import { percentiles } from '../src/core/stats.js';
import { cliLabAuth } from '../src/process/lab-secret.js';
import { useLabAuth } from '../src/protocol/lab-auth.js';

const RATES = (process.env.HALAB_BENCH_RATES ?? '25,50,100,150,200,250,300,400,600').split(',').map(Number);
const STEP_MS = 6000;

/** The GLB's admission (its latency limit and last window's median accept → first byte at the end of the step) and its regions' ejection counts. */
async function glbStatus(entrypoint: string): Promise<{ admission: { limit: number; lastMedianMs: number }; regions: { ejections: number }[] }> {
  const res = await request(new URL('/status', entrypoint).toString());
  return (await res.body.json()) as { admission: { limit: number; lastMedianMs: number }; regions: { ejections: number }[] };
}

export async function benchEntrypointCapacity(rates: readonly number[] = RATES): Promise<void> {
  const paths = labPaths(mkdtempSync(join(tmpdir(), 'halab-bench-cap-')));
  // the in-process client (lab start-up, status) calls the control plane as `cli`
  useLabAuth(cliLabAuth(paths.labDir));
  const topology = loadTopology('cluster/two-region.yaml');
  const state = await startLab(topology, paths, realClock, { seed: 1 });
  const rows: string[] = [];
  let sustained = 0;
  let ejectionsBefore = 0;
  try {
    for (const rate of rates) {
      const records: RequestRecord[] = [];
      await new BuiltinDriver().run(
        { entrypoint: state.entrypoint!, ratePerSec: rate, arrival: 'poisson', durationMs: STEP_MS, streaming: true, promptTokens: 32, maxTokens: 32, timeoutMs: 30_000, model: topology.model.name, seed: rate },
        (r) => records.push(r),
        new AbortController().signal,
      );
      const ok = records.filter((r) => r.outcome === 'ok').length;
      const shed = records.filter((r) => r.status === 429).length;
      const ttft = percentiles(records.filter((r) => r.firstTokenMs !== undefined).map((r) => r.firstTokenMs! - r.startMs));
      const glb = await glbStatus(state.entrypoint!);
      const ejections = glb.regions.reduce((a, r) => a + r.ejections, 0);
      if (shed === 0 && ok === records.length) sustained = rate;
      rows.push([String(rate).padStart(8), String(records.length).padStart(8), String(ok).padStart(6), String(shed).padStart(6), String(records.length - ok - shed).padStart(7), String(Math.round(ttft.p50 ?? 0)).padStart(9), String(Math.round(ttft.p99 ?? 0)).padStart(9), String(glb.admission.limit).padStart(6), String(Math.round(glb.admission.lastMedianMs)).padStart(10), String(ejections - ejectionsBefore).padStart(7)].join('  '));
      ejectionsBefore = ejections;
      const reasons = new Map<string, number>();
      for (const r of records) if (r.outcome !== 'ok' && r.status !== 429) reasons.set((r.reason ?? r.outcome).slice(0, 100), (reasons.get((r.reason ?? r.outcome).slice(0, 100)) ?? 0) + 1);
      const top = [...reasons.entries()].sort((a, b) => b[1] - a[1])[0];
      process.stderr.write(`${rate} req/s: done${top ? `; most frequent other failure (${top[1]}×): ${top[0]}` : ''}\n`);
      await realClock.sleep(2000);
    }
  } finally {
    await stopLab(paths, realClock);
  }
  process.stdout.write(['  req/s  requests      ok    shed    other  TTFT p50  TTFT p99   limit  GLB TTFB  region ejections (GLB)', ...rows].join('\n') + `\nhighest rate served whole, nothing shed: ${sustained} req/s (${STEP_MS / 1000} s steps, streaming, 32+32 tokens)\n`);
}
