import { readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadScenario } from '../config/scenario.js';
import { suiteFor } from './suite.js';

const SCENARIOS = join(import.meta.dirname, '..', '..', 'scenarios');

describe('the shipped suites', () => {
  it('scenarios/suites/shipped.yaml lists every shipped scenario (scenarios/*.yaml), once', () => {
    const shipped = suiteFor(join(SCENARIOS, 'suites', 'shipped.yaml'))!;
    const all = readdirSync(SCENARIOS).filter((f) => f.endsWith('.yaml')).sort();
    expect(shipped.files.map((f) => basename(f)).sort()).toEqual(all);
    expect(shipped.timeScale).toBeGreaterThan(0);
  });

  it('the smoke suite runs shipped scenarios at the shipped suite\'s time scale (so it gates against the committed baselines)', () => {
    const smoke = suiteFor(join(SCENARIOS, 'suites', 'smoke.yaml'))!;
    const shipped = suiteFor(join(SCENARIOS, 'suites', 'shipped.yaml'))!;
    expect(smoke.timeScale).toBe(shipped.timeScale);
    for (const f of smoke.files) expect(shipped.files.map((s) => basename(s))).toContain(basename(f));
    for (const f of smoke.files) expect(loadScenario(f).name).toBe(basename(f, '.yaml'));
  });
});
