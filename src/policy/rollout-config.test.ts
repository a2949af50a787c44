import { describe, expect, it } from 'vitest';
import { DEFAULT_DEPLOY_CONFIG, validateDeployRequest } from './rollout-config.js';

const ok = { modelVersion: 'v2', strategy: 'rolling', behaviour: '', options: {} };

describe('validateDeployRequest', () => {
  it('takes the seed waits as defaults', () => {
    const r = validateDeployRequest(ok);
    expect(r.config).toMatchObject({ drainMs: 60_000, watchMs: 300_000, stepMs: 600_000, keepBlueMs: 3_600_000, steps: [0.1, 0.5, 1], canaryShare: 0.1 });
    expect(r.behaviour).toBe('ok');
    expect(validateDeployRequest({ ...ok, options: { drainMs: 0, stepMs: 2000 } }).config).toMatchObject({ drainMs: DEFAULT_DEPLOY_CONFIG.drainMs, stepMs: 2000 });
  });

  it.each([
    [{ ...ok, strategy: 'big-bang' }, /strategy: expected one of rolling, blue-green, canary, got "big-bang"/],
    [{ ...ok, modelVersion: 'v 2' }, /model version/],
    [{ ...ok, behaviour: 'flaky' }, /behaviour: expected one of ok, crash-on-load, slow, corrupt, error-rate/],
    [{ ...ok, options: { canaryShare: 1.5 } }, /canary share/],
    [{ ...ok, options: { steps: [0.5, 0.1, 1] } }, /steps: expected ascending shares ending at 1/],
    [{ ...ok, options: { steps: [0.1, 0.5] } }, /ending at 1/],
    [{ ...ok, options: { drainMs: -5 } }, /drainMs: expected a duration/],
    [{ ...ok, options: { rollbackScope: 'some' } }, /rollback scope/],
  ])('refuses %j', (input, message) => {
    expect(() => validateDeployRequest(input)).toThrow(message);
  });
});
