import { describe, expect, it } from 'vitest';
import type { DeployAction } from './rollout-actions.js';
import { canaryPolicy, pickCanaries, shareWeights } from './rollout-canary.js';
import { blueGreenPolicy, greenIds } from './rollout-blue-green.js';
import { DEFAULT_DEPLOY_CONFIG, DEFAULT_DEPLOY_SLO, type DeployConfig } from './rollout-config.js';
import { drive, fleetReplica, group, happy, notes, samples } from '../../test/deploy-kit.js';

const cfg: DeployConfig = { ...DEFAULT_DEPLOY_CONFIG, settleMs: 0, canaryMs: 10_000, analysisMs: 2000, stepMs: 4000 };
const fleet = ['a/primary/0', 'a/primary/1', 'a/primary/2', 'a/primary/3', 'a/backup/0', 'b/primary/0', 'b/primary/1'].map((id) => fleetReplica(id));
const weightsOf = (actions: DeployAction[]) => actions.flatMap((a) => (a.kind === 'weights' ? [a.weights] : []));

describe('canary placement and weights', () => {
  it('takes canaries from serving replicas per region, keeping a baseline in each', () => {
    expect(pickCanaries(fleet, 1).map((r) => r.id)).toEqual(['a/primary/0', 'b/primary/0']);
    expect(pickCanaries(fleet, 5).map((r) => r.id)).toEqual(['a/primary/0', 'a/primary/1', 'a/primary/2', 'b/primary/0']);
  });

  it('takes no canary from a region whose only routable replica it would be (a connected but unhealthy peer is no baseline)', () => {
    const b1Down = fleet.map((r) => (r.id === 'b/primary/1' ? { ...r, routable: false } : { ...r, routable: r.serving }));
    expect(pickCanaries(b1Down, 1).map((r) => r.id)).toEqual(['a/primary/0']);
  });

  it('gives the chosen replicas exactly their share of each region', () => {
    const serving = fleet.filter((r) => r.serving);
    const w = shareWeights(serving, new Set(['a/primary/0', 'b/primary/0']), 0.1);
    const share = (ids: string[], region: string) => {
      const inRegion = serving.filter((r) => r.region === region).map((r) => w[r.id]!);
      return ids.reduce((s, id) => s + w[id]!, 0) / inRegion.reduce((s, x) => s + x, 0);
    };
    expect(share(['a/primary/0'], 'a')).toBeCloseTo(0.1, 9);
    expect(share(['b/primary/0'], 'b')).toBeCloseTo(0.1, 9);
    expect(Math.max(...Object.values(w))).toBe(1);
    expect(shareWeights(serving, new Set(serving.filter((r) => r.region === 'a').map((r) => r.id)), 1)['a/primary/0']).toBe(1);
  });
});

describe('canary policy', () => {
  it('routes the canary only after its weights are set, and rolls back at the first worse verdict', () => {
    let windows = 0;
    const { actions, outcome } = drive(canaryPolicy(fleet, 'v1', 'v2', 'slow', cfg, DEFAULT_DEPLOY_SLO), (a) => {
      if (a.kind === 'analyze') {
        windows += 1;
        return { kind: 'analyzed', canary: group(samples(20, 60, 21)), baseline: group(samples(20, 20, 7)) };
      }
      return happy(a);
    });
    expect(outcome.state).toBe('rolled-back');
    expect(windows).toBe(1);
    const firstWeights = actions.findIndex((a) => a.kind === 'weights');
    const firstRouted = actions.findIndex((a) => a.kind === 'hold' && !a.held);
    expect(firstWeights).toBeLessThan(firstRouted);
    expect(notes(actions)).toEqual(expect.arrayContaining(['deploy.canary-live', 'deploy.rollback-decided']));
    // new requests leave the canary before it is restored, and weights end reset
    const ws = weightsOf(actions);
    expect(ws[1]).toEqual({ 'a/primary/0': 0, 'b/primary/0': 0 });
    expect(ws[ws.length - 1]).toEqual({});
    expect(actions.flatMap((a) => (a.kind === 'restore' ? [a.replicaId] : []))).toEqual(['a/primary/0', 'b/primary/0']);
    // nothing beyond the canaries was touched
    expect(actions.some((a) => a.kind === 'load' && !['a/primary/0', 'b/primary/0'].includes(a.replicaId))).toBe(false);
  });

  it('promotes a good canary after the canary time and rolls the rest', () => {
    const { actions, outcome } = drive(canaryPolicy(fleet, 'v1', 'v2', 'ok', cfg, DEFAULT_DEPLOY_SLO));
    expect(outcome.state).toBe('succeeded');
    expect(actions.filter((a) => a.kind === 'analyze')).toHaveLength(5);
    expect(notes(actions)).toContain('deploy.canary-promoted');
    expect(actions.filter((a) => a.kind === 'load').map((a) => (a.kind === 'load' ? a.replicaId : ''))).toHaveLength(fleet.length);
  });

  it('rolls back a canary that never passes verification without routing it', () => {
    const { actions, outcome } = drive(canaryPolicy(fleet, 'v1', 'v2', 'corrupt', cfg, DEFAULT_DEPLOY_SLO), (a) =>
      a.kind === 'verify' && a.version === 'v2' ? { kind: 'verified', ok: false, reason: 'wrong answer to the known-answer probe' } : happy(a),
    );
    expect(outcome.state).toBe('rolled-back');
    expect(notes(actions)).not.toContain('deploy.canary-live');
  });
});

describe('blue-green policy', () => {
  it('names green replicas after the highest index of each cluster', () => {
    expect(greenIds([fleetReplica('a/primary/0'), fleetReplica('a/primary/1'), fleetReplica('a/backup/0')])).toEqual([
      { id: 'a/primary/2', like: 'a/primary/0' },
      { id: 'a/primary/3', like: 'a/primary/1' },
      { id: 'a/backup/1', like: 'a/backup/0' },
    ]);
  });

  it('spawns green, smoke-tests, shifts 10/50/100 with SLO checks, keeps blue, retires it', () => {
    const { actions, outcome } = drive(blueGreenPolicy(fleet, 'v1', 'v2', 'ok', cfg, DEFAULT_DEPLOY_SLO));
    expect(outcome.state).toBe('succeeded');
    const shifted = actions.flatMap((a) => (a.kind === 'note' && a.type === 'deploy.traffic-shifted' ? [a.data?.share] : []));
    expect(shifted).toEqual([0.1, 0.5, 1]);
    expect(actions.filter((a) => a.kind === 'analyze')).toHaveLength(1 + 3 * 2);
    const retire = actions.find((a) => a.kind === 'retire');
    expect(retire?.kind === 'retire' && retire.replicaIds).toEqual(fleet.map((r) => r.id));
    expect(actions.some((a) => a.kind === 'wait' && a.ms === cfg.keepBlueMs)).toBe(true);
  });

  it('sends all traffic back to blue and retires green when a step breaches the SLO', () => {
    let n = 0;
    const { actions, outcome } = drive(blueGreenPolicy(fleet, 'v1', 'v2', 'error-rate', cfg, DEFAULT_DEPLOY_SLO), (a) => {
      if (a.kind === 'analyze' && ++n >= 4) {
        return { kind: 'analyzed', canary: group(samples(20, 20, 7), { trafficRequests: 100, trafficErrors: 20 }), baseline: group([]) };
      }
      return happy(a);
    });
    expect(outcome.state).toBe('rolled-back');
    expect(outcome.reason).toMatch(/breached its SLO at 50%/);
    const retire = actions.find((a) => a.kind === 'retire');
    expect(retire?.kind === 'retire' && retire.replicaIds.every((id) => Number(id.split('/')[2]) >= 1)).toBe(true);
    const ws = weightsOf(actions);
    expect(Object.values(ws[ws.length - 2]!).every((w) => w === 0)).toBe(true);
  });

  it('rolls back a green set that meets the SLOs but is significantly slower than blue', () => {
    const { actions, outcome } = drive(blueGreenPolicy(fleet, 'v1', 'v2', 'slow', cfg, DEFAULT_DEPLOY_SLO), (a) =>
      a.kind === 'analyze' ? { kind: 'analyzed', canary: group(samples(20, 60, 21)), baseline: group(samples(20, 20, 7)) } : happy(a),
    );
    expect(outcome.state).toBe('rolled-back');
    expect(outcome.reason).toMatch(/smoke test failed: against blue: time to first token/);
    expect(notes(actions)).not.toContain('deploy.traffic-shifted:' + 'never');
    expect(actions.some((a) => a.kind === 'note' && a.type === 'deploy.traffic-shifted' && a.data?.share === 0.1)).toBe(false);
  });
});
