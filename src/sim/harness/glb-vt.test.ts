// The global load balancer's region failover in virtual time: the production GlbRegions (active
// checks, ejection, the region choice) and the regional gateways' pools over the harness's
// simulated regions and clients. Moved from test/glb.test.ts, which polled a live two-region lab
// with sleeps; that file keeps the link-cut case (links are not simulated) and the teardown cases.
import { describe, expect, it } from 'vitest';
import { loadTopology } from '../../config/topology.js';
import { runSeed } from './harness.js';

const topology = loadTopology('cluster/two-region.yaml');
const history = { warmupMs: 10_000, historyMs: 60_000, faultsMax: 0, faultMinMs: 2_000, faultMaxMs: 30_000 };

/** The virtual time of the first trace line matching `re` after `afterMs` (-1: none). */
function at(trace: readonly string[], re: RegExp, afterMs = -1): number {
  for (const l of trace) {
    const t = Number(l.slice(0, l.indexOf(' ')));
    if (t > afterMs && re.test(l)) return t;
  }
  return -1;
}

describe('the global load balancer in virtual time', () => {
  it('fails a dead region over to the other one and back, with every answer complete and correct', async () => {
    const schedule = [{ faultId: 'f1', kind: 'region.outage', target: 'us-east-1', atMs: 20_000, forMs: 2000 }];
    const r = await runSeed({ topology, seed: 3, history, schedule, deploy: null, keepTrace: true });
    // every client request (both regions', one each 200 ms through the GLB) served, none wrong:
    // us-east-1's clients were served by us-west-2 while their region was down
    expect(r.requests.failed).toBe(0);
    expect(r.requests.wrong).toBe(0);
    expect(r.requests.total).toBeGreaterThan(1000);
    const trace = r.trace!;
    const failover = at(trace, / glb glb\.failover us-east-1 /, 10_000);
    expect(failover).toBeGreaterThanOrEqual(20_000);
    expect(failover - 20_000).toBeLessThanOrEqual(200);
    // the heal restarts the region (processes, model load); then the GLB fails back to it
    const failback = at(trace, / glb glb\.failback us-east-1 /, failover);
    expect(failback).toBeGreaterThan(22_000);
    // and sends its traffic home again (service-recovered-after-heal: the GLB sends traffic to every region)
    expect(r.violations).toEqual([]);
  });
});
