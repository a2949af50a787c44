// The gateway's circuits (UpstreamPool + Circuits, the production classes) on the VirtualClock,
// with in-memory re-admission probes: these replaced the sleep-based half-open cases of
// test/circuit-evidence.test.ts (which keeps the HTTP end-to-end case and the Retry-After one).
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { createRng } from '../../core/rng.js';
import { memoryEventSink } from '../../record/events.js';
import { DEFAULT_GATEWAY_CONFIG, type GatewayConfig } from '../../gateway/regional/config.js';
import { UpstreamPool, type Upstream } from '../../gateway/regional/upstream-pool.js';

const primary: Upstream = { replicaId: 'r/p/0', region: 'r', cluster: 'p', httpUrl: 'sim-http://r/p/0', modelVersion: 'v1' };
const fallback: Upstream = { replicaId: 'r/f/0', region: 'r', cluster: 'f', httpUrl: 'sim-http://r/f/0', modelVersion: 'v1' };

/** A pool over two upstreams whose model answers (or not) as `modelOk` says; /health always passes. */
function pool(over: Partial<GatewayConfig>) {
  const clock = new VirtualClock(0);
  const events = memoryEventSink('gateway/r', clock);
  const state = { modelOk: false, completions: 0 };
  const config: GatewayConfig = { ...DEFAULT_GATEWAY_CONFIG, readmitProbeIntervalMs: 50, ...over };
  const p = new UpstreamPool(config, clock, events, createRng(3), undefined, {
    cheapCheck: async () => true,
    completion: async (u) => {
      if (u.replicaId === primary.replicaId) state.completions += 1;
      return state.modelOk ? { ok: true, reason: 'completion probe of big answered' } : { ok: false, reason: '502' };
    },
  });
  p.setTopology([primary, fallback]);
  const of = (type: string) => events.events.filter((e) => e.type === type && e.subject === primary.replicaId);
  /** Advances virtual time, letting each probe's continuation run at its instant. */
  const run = async (ms: number): Promise<void> => {
    const until = clock.nowMs() + ms;
    for (let next = clock.nextAtMs(); next !== undefined && next <= until; next = clock.nextAtMs()) {
      while (clock.nextAtMs() === next) clock.step();
      for (let i = 0; i < 6; i++) await null;
    }
    clock.advanceTo(until);
  };
  /** One request: the pool's pick, then the outcome the primary's model gives (the fallback answers). */
  const request = (): string => {
    const u = p.pick(new Set(), undefined, undefined, 'big')!;
    const end = p.acquire(u.replicaId, 'big');
    if (u.replicaId === primary.replicaId && !state.modelOk) p.recordFailure(u, 'status', '502 from upstream', 'big');
    else p.recordSuccess(u.replicaId, 'big');
    end();
    return u.replicaId;
  };
  return { clock, p, state, of, run, request };
}

describe('circuits close on evidence, in virtual time', () => {
  it('/health alone never closes a circuit that completions opened; completion probes stay within completionProbeIntervalMs; a good one closes it', async () => {
    const t = pool({ baseEjectionMs: 100, maxEjectionMs: 200, completionProbeIntervalMs: 700 });
    expect(t.p.availableCount()).toBe(2);
    t.p.eject(primary, 'status', '502 from upstream', 'big');
    await t.run(2000);
    expect(t.of('passive.readmit')).toHaveLength(0);
    // what the gateway's /health counts: the same replicas as available() lists
    expect(t.p.availableCount()).toBe(t.p.available().length);
    expect(t.p.availableCount()).toBe(1);
    expect(t.p.isEjected(primary.replicaId, 'big')).toBe(true);
    // one probe as soon as the checks allow, then one per interval: at most 2000 / 700 + 1
    expect(t.state.completions).toBeGreaterThanOrEqual(2);
    expect(t.state.completions).toBeLessThanOrEqual(Math.ceil(2000 / 700) + 1);
    expect(t.p.circuits.probesSent).toBe(t.state.completions);
    t.state.modelOk = true;
    const healedAt = t.clock.nowMs();
    await t.run(700 + 100);
    const readmit = t.of('passive.readmit');
    expect(readmit).toHaveLength(1);
    expect(readmit[0]!.reason).toMatch(/completion probe of big answered/);
    expect(readmit[0]!.atMs - healedAt).toBeLessThanOrEqual(700 + 50);
    t.p.close();
  });

  it('half-open: with no probe due, one real request tries the upstream after its ejection time, and closes the circuit', async () => {
    const t = pool({ baseEjectionMs: 500, completionProbeIntervalMs: 600_000 });
    t.p.eject(primary, 'status', '503 from upstream', 'big');
    // the first completion probe after the ejection is due at once; make it fail, then recover
    await t.run(700);
    const probes = t.p.circuits.probesSent;
    t.state.modelOk = true;
    await t.run(200);
    expect(t.p.circuits.probesSent).toBe(probes);
    const picks = new Set<string>();
    for (let i = 0; i < 4; i++) picks.add(t.request());
    expect(picks.has(primary.replicaId)).toBe(true);
    expect(t.of('passive.readmit')[0]!.reason).toMatch(/a real request completed/);
    t.p.close();
  });

  it('a failed half-open trial opens the circuit again, for longer', async () => {
    const t = pool({ baseEjectionMs: 300, completionProbeIntervalMs: 600_000 });
    t.p.eject(primary, 'status', '503 from upstream', 'big');
    await t.run(450);
    // half-open: requests go on until one tries the primary (the trial) and fails
    for (let i = 0; i < 4 && t.of('passive.eject').length < 2; i++) t.request();
    expect(t.of('passive.eject').map((e) => (e.data as { ejectionMs: number }).ejectionMs)).toEqual([300, 600]);
    expect(t.p.isEjected(primary.replicaId, 'big')).toBe(true);
    t.p.close();
  });
});
