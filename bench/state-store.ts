// Benchmark: durable writes per second of the two state stores — the embedded log (fdatasync per
// flush; concurrent writes share one) and etcd (a one-member cluster on 127.0.0.1, started here),
// one write at a time and 64 in flight.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realClock } from '../src/core/clock.js';
import type { StateStore } from '../src/store/state-store.js';
import { EtcdStateStore } from '../src/store/state-store-etcd.js';
import { LogStateStore } from '../src/store/state-store-log.js';
import { etcdArgs, spawnEtcd, waitEtcdHealthy } from '../src/lab/etcd.js';
import { terminate } from '../src/process/reaper.js';

async function rate(store: StateStore, n: number, inFlight: number): Promise<number> {
  const value = JSON.stringify({ httpUrl: 'http://127.0.1.1:40000', signals: { liveness: 'healthy' }, pad: 'x'.repeat(200) });
  const t0 = realClock.monoMs();
  let next = 0;
  await Promise.all(Array.from({ length: inFlight }, async () => {
    for (let i = next++; i < n; i = next++) await store.put(`bench/${i % 500}`, value);
  }));
  return n / ((realClock.monoMs() - t0) / 1000);
}

export async function benchStateStore(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'halab-bench-state-'));
  try {
    const log = await LogStateStore.open(join(dir, 'state.log'));
    const seq = await rate(log, 500, 1);
    const par = await rate(log, 5000, 64);
    await log.close();
    process.stdout.write(`embedded log: ${seq.toFixed(0)} durable writes/s one at a time, ${par.toFixed(0)}/s with 64 in flight (group commit)\n`);
    const { args, clientUrl } = await etcdArgs(dir);
    const pid = spawnEtcd(dir, 'etcd', args);
    try {
      await waitEtcdHealthy(dir, 'etcd', pid, clientUrl, realClock);
      const etcd = await EtcdStateStore.open([clientUrl], 'bench/');
      const eseq = await rate(etcd, 300, 1);
      const epar = await rate(etcd, 3000, 64);
      await etcd.close();
      process.stdout.write(`etcd (1 member): ${eseq.toFixed(0)} committed writes/s one at a time, ${epar.toFixed(0)}/s with 64 in flight\n`);
    } finally {
      await terminate([pid], realClock);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
