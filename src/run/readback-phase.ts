// After the load of a scenario with stored completions: read every acknowledged write back from a
// region that the schedule did not take down (the survivor) and write readback.ndjson, the record
// the RPO figures are computed from.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import type { RequestRecord } from '../record/records.js';
import type { ResolvedFault } from '../config/scenario.js';
import type { Topology } from '../config/topology.js';
import { readLabState } from '../process/lab-state.js';
import type { LabPaths } from '../process/paths.js';
import { readBackStored } from '../load/readback.js';
import { formatRecords } from '../record/record-io.js';

const REGION_LOSS = new Set(['region.outage', 'region.state-loss']);

/** The region to read back from: the first one no region-loss fault targets (else the first). */
export function survivingRegion(topology: Topology, schedule: readonly ResolvedFault[]): string {
  const lost = new Set(schedule.filter((f) => REGION_LOSS.has(f.kind)).map((f) => f.target));
  return (topology.regions.find((r) => !lost.has(r.name)) ?? topology.regions[0]!).name;
}

export async function readBackAfterRun(runDir: string, writes: readonly RequestRecord[], topology: Topology, schedule: readonly ResolvedFault[], paths: LabPaths, clock: Clock, log: (line: string) => void): Promise<void> {
  const region = survivingRegion(topology, schedule);
  const gateway = readLabState(paths)?.processes.find((p) => p.kind === 'gateway' && p.subject === region);
  if (!gateway?.url) {
    log(`read-back: no gateway for ${region}; stored writes not checked`);
    return;
  }
  log(`read-back: ${writes.length} acknowledged stored completions from ${region} (${gateway.url})`);
  const results = await readBackStored(writes, { gatewayUrl: gateway.url, region }, clock);
  writeFileSync(join(runDir, 'readback.ndjson'), formatRecords(results));
  const lost = results.filter((r) => !r.found).length;
  log(`read-back: ${results.length - lost} found, ${lost} lost`);
}
