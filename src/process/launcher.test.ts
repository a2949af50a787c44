import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { componentEntry, launchEntry, projectRoot } from './launcher.js';

const saved = process.env.HALAB_NO_BUNDLE;
afterEach(() => {
  if (saved === undefined) delete process.env.HALAB_NO_BUNDLE;
  else process.env.HALAB_NO_BUNDLE = saved;
});

describe('the script a lab process runs', () => {
  it('is the compiled entry when HALAB_NO_BUNDLE=1', () => {
    process.env.HALAB_NO_BUNDLE = '1';
    expect(launchEntry('replica')).toBe(componentEntry('replica'));
    expect(launchEntry('gateway')).toBe(join(projectRoot(), 'dist', 'src', 'gateway', 'regional', 'main.js'));
  });

  it('is the bundle only when one exists that is newer than the compiled entry, else the entry', () => {
    delete process.env.HALAB_NO_BUNDLE;
    for (const c of ['controlplane', 'replica', 'gateway', 'glb', 'standin', 'replica-host'] as const) {
      const chosen = launchEntry(c);
      const bundle = componentEntry(c).replace(join('dist', 'src'), join('dist', 'bundle'));
      if (chosen === bundle) {
        expect(existsSync(bundle)).toBe(true);
        expect(statSync(bundle).mtimeMs).toBeGreaterThanOrEqual(statSync(componentEntry(c)).mtimeMs);
      } else {
        expect(chosen).toBe(componentEntry(c));
      }
    }
  });
});
