// Opens a region's stored completions (embedded log under <lab>/state/regions/<region>) and starts
// replicating them to every other region's gateway, found through the lab's ready files.
import type { Registry } from 'prom-client';
import type { Clock } from '../../core/clock.js';
import type { EventSink } from '../../record/events.js';
import type { Topology } from '../../config/topology.js';
import { LogStateStore } from '../../store/state-store-log.js';
import { gatewayUrlOf } from '../../process/paths.js';
import { completionsStoreFile } from '../../process/state-paths.js';
import { Replicator, replicationMetrics } from './replicator.js';
import { StoredCompletions } from './stored-completions.js';


export async function openRegionCompletions(labDir: string, region: string, topology: Topology, clock: Clock, events: EventSink, registry: Registry) {
  const store = await LogStateStore.open(completionsStoreFile(labDir, region));
  const peers = topology.regions.map((r) => r.name).filter((r) => r !== region);
  const completions = await StoredCompletions.open(store, region, peers, clock);
  const replicator = new Replicator(completions, (peer) => gatewayUrlOf(labDir, peer), clock, events, replicationMetrics(registry, completions));
  replicator.start();
  return { store, completions, replicator };
}
