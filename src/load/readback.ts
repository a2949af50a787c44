// The read-back checker's I/O: after the run, every acknowledged stored completion (an ok answer
// with a storedId) is fetched from the surviving region's gateway. Ids not found are tried again
// a few times (asynchronous replication may still be delivering the last writes), so only writes
// that are really gone are recorded as not found. One ReadbackRecord per acknowledged write.
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import type { ReadbackRecord, RequestRecord } from '../record/records.js';


export interface ReadbackOptions {
  readonly gatewayUrl: string;
  readonly region: string;
  /** Rounds for ids not found yet, and the wait between rounds. */
  readonly rounds?: number;
  readonly roundWaitMs?: number;
  readonly concurrency?: number;
}

async function fetchOne(base: string, id: string): Promise<{ status: number | null; error?: string; found: boolean }> {
  try {
    const res = await request(`${base}/v1/chat/completions/${encodeURIComponent(id)}`, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = await res.body.text();
    if (res.statusCode !== 200) return { status: res.statusCode, found: false };
    const parsed = JSON.parse(body) as { id?: string };
    return parsed.id === id ? { status: 200, found: true } : { status: 200, found: false, error: `answered with id ${String(parsed.id)}` };
  } catch (err) {
    return { status: null, found: false, error: (err as Error).message };
  }
}

export async function readBackStored(records: readonly RequestRecord[], opts: ReadbackOptions, clock: Clock): Promise<ReadbackRecord[]> {
  const acked = records.filter((r) => r.outcome === 'ok' && r.storedId);
  const results = new Map<string, ReadbackRecord>();
  let todo = acked;
  const rounds = opts.rounds ?? 4;
  for (let round = 0; round < rounds && todo.length > 0; round++) {
    if (round > 0) await clock.sleep(opts.roundWaitMs ?? 1000);
    const queue = [...todo];
    const workers = Array.from({ length: opts.concurrency ?? 16 }, async () => {
      for (let r = queue.shift(); r; r = queue.shift()) {
        const got = await fetchOne(opts.gatewayUrl, r.storedId!);
        results.set(r.id, {
          requestId: r.id,
          storedId: r.storedId!,
          ...(r.storedRegion ? { writtenIn: r.storedRegion } : {}),
          ackedAtMs: r.endMs,
          readFrom: opts.region,
          found: got.found,
          status: got.status,
          ...(got.error ? { error: got.error } : {}),
          atMs: clock.nowMs(),
        });
      }
    });
    await Promise.all(workers);
    todo = todo.filter((r) => !results.get(r.id)?.found);
  }
  return acked.map((r) => results.get(r.id)!);
}
