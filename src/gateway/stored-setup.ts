// Opens a region's stored completions (embedded log under <lab>/state/regions/<region>) and starts
// replicating them to every other region's gateway, found through the lab's ready files.
import { existsSync, readFileSync } from 'node:fs';
import type { Registry } from 'prom-client';
import type { Clock } from '../core/clock.js';
import type { EventSink } from '../core/events.js';
import type { Topology } from '../core/topology.js';
import { LogStateStore } from '../controlplane/state-store-log.js';
import { readyFile } from '../lab/paths.js';
import { completionsStoreFile } from '../lab/state-paths.js';
import { Replicator, replicationMetrics } from './replicator.js';
import { StoredCompletions } from './stored-completions.js';

/** The base URL a gateway of the lab announced in its ready file, if it did. */
export function gatewayUrlOf(labDir: string, region: string): string | undefined {
  const file = readyFile(labDir, `gateway/${region}`);
  if (!existsSync(file)) return undefined;
  try {
    const url = (JSON.parse(readFileSync(file, 'utf8')) as { url?: unknown }).url;
    return typeof url === 'string' ? url : undefined;
  } catch {
    return undefined;
  }
}

export async function openRegionCompletions(labDir: string, region: string, topology: Topology, clock: Clock, events: EventSink, registry: Registry) {
  const store = await LogStateStore.open(completionsStoreFile(labDir, region));
  const peers = topology.regions.map((r) => r.name).filter((r) => r !== region);
  const completions = await StoredCompletions.open(store, region, peers, clock);
  const replicator = new Replicator(completions, (peer) => gatewayUrlOf(labDir, peer), clock, events, replicationMetrics(registry, completions));
  replicator.start();
  return { store, completions, replicator };
}
