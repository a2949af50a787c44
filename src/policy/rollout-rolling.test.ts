import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_CONFIG, DEFAULT_DEPLOY_SLO, type DeployConfig } from './rollout-config.js';
import { rollingOrder, rollingPolicy } from './rollout-rolling.js';
import { drive, fleetReplica, group, happy, kinds, notes, samples } from '../../test/deploy-kit.js';
import type { DeployAction, DeployResult } from './rollout-actions.js';

const cfg: DeployConfig = { ...DEFAULT_DEPLOY_CONFIG, settleMs: 0 };
const slo = DEFAULT_DEPLOY_SLO;
const fleet = ['a/primary/1', 'a/primary/0', 'a/backup/0', 'b/primary/0'].map((id) => fleetReplica(id));

describe('rolling policy', () => {
  it('orders non-serving replicas first, then serving ones region by region', () => {
    expect(rollingOrder(fleet).map((r) => r.id)).toEqual(['a/backup/0', 'a/primary/0', 'a/primary/1', 'b/primary/0']);
  });

  it('takes one replica at a time through hold, drain, load, verify, its answers judged, routing and watch', () => {
    const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'ok', cfg, slo));
    expect(outcome).toEqual({ state: 'succeeded', reason: '4 replica(s) on v2' });
    const first = kinds(actions).slice(0, 10);
    expect(first).toEqual(['inspect:a/backup/0', 'hold:a/backup/0', 'drain:a/backup/0', 'load:a/backup/0', 'verify', 'hold:a/backup/0', 'analyze', 'watch', 'desire', 'inspect:a/primary/0']);
    // the answers are sampled once the replica is back in routing, before the watch, against the new version only
    const analyze = actions.find((a) => a.kind === 'analyze');
    expect(analyze).toMatchObject({ canary: ['a/backup/0'], canaryVersion: 'v2', baseline: [], ms: slo.minSamples * cfg.sampleIntervalMs });
    const loads = actions.filter((a) => a.kind === 'load');
    expect(loads.map((a) => (a.kind === 'load' ? `${a.replicaId}@${a.version}` : ''))).toEqual(['a/backup/0@v2', 'a/primary/0@v2', 'a/primary/1@v2', 'b/primary/0@v2']);
    const drains = actions.filter((a) => a.kind === 'drain');
    expect(drains.every((a) => a.kind === 'drain' && a.timeoutMs === 60_000 && a.fromVersion === 'v1')).toBe(true);
    // every replica back in routing after its verification
    expect(actions.filter((a) => a.kind === 'hold' && !a.held)).toHaveLength(4);
  });

  it('keeps draining while no other replica of the old version could resume what still runs', () => {
    let drains = 0;
    const { actions } = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', cfg, slo), (a) => {
      if (a.kind === 'drain') return drains++ < 3 ? { kind: 'drained', inFlight: 3, drained: false, peerAvailable: false } : { kind: 'drained', inFlight: 0, drained: true, peerAvailable: false };
      return happy(a);
    });
    expect(notes(actions).filter((n) => n === 'deploy.drain-extended:a/primary/0')).toHaveLength(1);
    expect(drains).toBe(4);
  });

  it('stops extending the drain at the per-replica bound', () => {
    let drains = 0;
    drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', { ...cfg, drainMs: 1000, verifyTimeoutMs: 3500 }, slo), (a) => {
      if (a.kind === 'drain') {
        drains += 1;
        return { kind: 'drained', inFlight: 1, drained: false, peerAvailable: false };
      }
      return happy(a);
    });
    expect(drains).toBe(4); // 1000 + 1000 + 1000 + 500 ms
  });

  it('does not wait longer when a peer of the same version can resume the rest', () => {
    const { actions } = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', cfg, slo), (a) =>
      a.kind === 'drain' ? { kind: 'drained', inFlight: 2, drained: false, peerAvailable: true } : happy(a),
    );
    expect(notes(actions)).not.toContain('deploy.drain-extended:a/primary/0');
    const drained = actions.find((a) => a.kind === 'note' && a.type === 'deploy.replica-drained');
    expect(drained?.kind === 'note' && drained.reason).toMatch(/2 request\(s\) will be resumed elsewhere/);
  });

  it('records a failed Drain call as deploy.drain-failed, not as drained, and does not extend it', () => {
    let drains = 0;
    const { actions } = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', cfg, slo), (a) => {
      if (a.kind === 'drain') {
        drains += 1;
        return { kind: 'drained', inFlight: null, drained: false, peerAvailable: false, error: 'drain at a:1 failed: unavailable' };
      }
      return happy(a);
    });
    expect(drains).toBe(1);
    expect(notes(actions)).toContain('deploy.drain-failed:a/primary/0');
    expect(notes(actions)).not.toContain('deploy.replica-drained:a/primary/0');
  });

  it('rolls back the failing replica and every updated one (newest first) and stops', () => {
    const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'corrupt', cfg, slo), (a) =>
      a.kind === 'verify' && a.version === 'v2' && a.replicaIds[0] === 'a/primary/1' ? { kind: 'verified', ok: false, reason: 'wrong answer to the known-answer probe' } : happy(a),
    );
    expect(outcome.state).toBe('rolled-back');
    expect(outcome.reason).toContain('a/primary/1 failed verification on v2: wrong answer');
    const restores = actions.flatMap((a) => (a.kind === 'restore' ? [`${a.replicaId}@${a.version}`] : []));
    expect(restores).toEqual(['a/primary/1@v1', 'a/primary/0@v1', 'a/backup/0@v1']);
    // b/primary/0 was never touched
    expect(actions.some((a) => 'replicaId' in a && a.replicaId === 'b/primary/0')).toBe(false);
  });

  it('with scope replica, restores only the failing one', () => {
    const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'ok', { ...cfg, rollbackScope: 'replica' }, slo), (a) =>
      a.kind === 'load' && a.replicaId === 'a/primary/0' ? { kind: 'loaded', ok: false, error: 'crashed while loading' } : happy(a),
    );
    expect(outcome.state).toBe('rolled-back');
    expect(actions.flatMap((a) => (a.kind === 'restore' ? [a.replicaId] : []))).toEqual(['a/primary/0']);
  });

  it('fails (not rolled back) when the rollback itself cannot restore a replica', () => {
    const { outcome } = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', cfg, slo), (a) =>
      a.kind === 'load' ? { kind: 'loaded', ok: false, error: 'crash' } : a.kind === 'restore' ? { kind: 'loaded', ok: false, error: 'no process' } : happy(a),
    );
    expect(outcome.state).toBe('failed');
    expect(outcome.reason).toContain('rollback incomplete');
  });

  it('skips a replica that is down at its turn and makes v2 its desired version', () => {
    const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'ok', cfg, slo), (a) =>
      a.kind === 'inspect' && a.replicaId === 'a/primary/0' ? { kind: 'inspected', connected: false, modelVersion: 'v1' } : happy(a),
    );
    expect(outcome.state).toBe('succeeded');
    expect(outcome.reason).toContain('a/primary/0 down, brought to v2 when back');
    expect(actions.some((a) => a.kind === 'desire' && a.replicaIds.includes('a/primary/0') && a.version === 'v2')).toBe(true);
    expect(actions.some((a) => a.kind === 'load' && a.replicaId === 'a/primary/0')).toBe(false);
  });

  describe('judging the answers of each updated replica', () => {
    /** A version whose answers err half the time, and no client traffic: verification and the watch pass. */
    const erring = (a: DeployAction): DeployResult =>
      a.kind === 'analyze' && a.canaryVersion === 'v2' ? { kind: 'analyzed', canary: group(samples(12, 10, 7).map((x, i) => (i % 2 ? x : { ok: false, correct: null }))), baseline: group([]) } : happy(a);

    it('rolls back a version whose sampled answers err, though health probes saw nothing, before the watch and the next replica', () => {
      const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'error-rate', cfg, slo), erring);
      expect(outcome.state).toBe('rolled-back');
      expect(outcome.reason).toMatch(/^a\/backup\/0 failed its answer check on v2: .*error rate 50\.0% > 2%/);
      // no other replica was touched
      expect(kinds(actions).filter((k) => k.startsWith('load:'))).toEqual(['load:a/backup/0']);
      expect(actions.some((a) => a.kind === 'watch')).toBe(false);
      expect(actions.flatMap((a) => (a.kind === 'restore' ? [`${a.replicaId}@${a.version}`] : []))).toEqual(['a/backup/0@v1']);
      expect(notes(actions)).toContain('deploy.smoke-test:a/backup/0');
    });

    it('rolls back a version that answers wrongly', () => {
      const { outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'corrupt', cfg, slo), (a) =>
        a.kind === 'analyze' ? { kind: 'analyzed', canary: group([...samples(3, 10, 7), { ok: true, correct: false }]), baseline: group([]) } : happy(a),
      );
      expect(outcome.state).toBe('rolled-back');
      expect(outcome.reason).toMatch(/1 wrong answer\(s\) from a\/backup\/0/);
    });

    it('rolls back scope all: every replica updated before the one whose answers err', () => {
      let judged = 0;
      const { actions, outcome } = drive(rollingPolicy(fleet, 'v1', 'v2', 'error-rate', cfg, slo), (a) => (a.kind === 'analyze' && ++judged === 3 ? erring(a) : happy(a)));
      expect(outcome.state).toBe('rolled-back');
      expect(actions.flatMap((a) => (a.kind === 'restore' ? [a.replicaId] : []))).toEqual(['a/primary/1', 'a/primary/0', 'a/backup/0']);
    });

    it('samples further windows while too few answers came back, and gives up at the per-replica bound', () => {
      let windows = 0;
      const few = (a: DeployAction): DeployResult => (a.kind === 'analyze' ? (windows++, { kind: 'analyzed', canary: group(samples(2, 10, 7)), baseline: group([]) }) : happy(a));
      const { outcome } = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', { ...cfg, verifyTimeoutMs: 10_000 }, slo), few);
      // 3 s windows (12 samples x 250 ms): 4 of them reach the 10 s bound
      expect(windows).toBe(4);
      expect(outcome.state).toBe('rolled-back');
      expect(outcome.reason).toMatch(/too few answers on v2 to judge within 12000ms/);
      windows = 0;
      const enough = drive(rollingPolicy([fleetReplica('a/primary/0')], 'v1', 'v2', 'ok', cfg, slo), (a) => (a.kind === 'analyze' && windows++ < 2 ? few(a) : happy(a)));
      expect(enough.outcome.state).toBe('succeeded');
    });
  });
});
