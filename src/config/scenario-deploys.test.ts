import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildScenario, loadScenario } from './scenario.js';

const base = { name: 'demo', duration: '30s' };

function message(data: unknown): string {
  try {
    buildScenario(data, 'x.yaml');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

describe('scenario deploy actions', () => {
  it('parses a deploy with durations, defaults and targets', () => {
    const s = buildScenario(
      { ...base, deploys: [{ at: '5s', version: 'v2', strategy: 'canary', options: { canaryShare: 0.2, analysis: '2s' } }], targets: { deployTtftRatio: 1.5, deployDetection: '10s' } },
      'x.yaml',
    );
    expect(s.deploys[0]).toMatchObject({ at: 5000, version: 'v2', strategy: 'canary', behaviour: 'ok', options: { canaryShare: 0.2, analysis: 2000 } });
    expect(s.targets).toMatchObject({ deployTtftRatio: 1.5, deployDetectionMs: 10_000 });
    expect(buildScenario(base, 'x.yaml').deploys).toEqual([]);
  });

  it('names the field of a bad deploy', () => {
    expect(message({ ...base, deploys: [{ at: '5s', version: 'v2', strategy: 'yolo' }] })).toMatch(/x\.yaml: deploys\[0\]\.strategy/);
    expect(message({ ...base, deploys: [{ at: '40s', version: 'v2', strategy: 'rolling' }] })).toMatch(/deploys\[0\]\.at: deploy time 40000ms is after the end of the run/);
    expect(message({ ...base, deploys: [{ at: '1s', version: 'v2', strategy: 'blue-green', options: { steps: [0.5, 0.2, 1] } }] })).toMatch(/deploys\[0\]\.options\.steps: expected ascending/);
    expect(message({ ...base, deploys: [{ at: '1s', version: 'v2', strategy: 'rolling', behaviour: 'flaky' }] })).toMatch(/deploys\[0\]\.behaviour/);
  });

  it('the shipped deploy scenarios are valid and expect what their names say', () => {
    const dir = join(import.meta.dirname, '..', '..', 'scenarios');
    const files = readdirSync(dir).filter((f) => /deploy|canary/.test(f));
    expect(files.sort()).toEqual(['blue-green-deploy.yaml', 'canary-bad-version.yaml', 'deploy-during-replica-crash.yaml', 'rolling-deploy.yaml']);
    const canary = loadScenario(join(dir, 'canary-bad-version.yaml'));
    expect(canary.deploys.map((d) => [d.behaviour, d.expect])).toEqual([['slow', 'rolled-back'], ['error-rate', 'rolled-back'], ['corrupt', 'rolled-back'], ['crash-on-load', 'rolled-back']]);
    expect(loadScenario(join(dir, 'rolling-deploy.yaml')).deploys[0]).toMatchObject({ strategy: 'rolling', expect: 'succeeded' });
  });
});
