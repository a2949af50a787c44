// The folder layering of DESIGN.md: no folder imports a higher layer, no two folders import each other.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { layerProblems } from '../scripts/check-layers.mjs';
import { ROOT } from './helpers.js';

const problems = layerProblems as (srcDir: string) => string[];

function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'halab-layers-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('folder layers', () => {
  it('src/ has no folder cycle and no upward import', () => {
    expect(problems(join(ROOT, 'src'))).toEqual([]);
  });

  it('finds an upward import and a cycle between sub-folders', () => {
    const dir = tree({
      'core/a.ts': "import { x } from '../policy/b.js';\n",
      'policy/b.ts': 'export const x = 1;\n',
      'gateway/one/c.ts': "import { y } from '../two/d.js';\n",
      'gateway/two/d.ts': "import { z } from '../one/c.js';\nexport const y = 1;\n",
    });
    const found = problems(dir);
    expect(found.some((p) => p.includes('core may not import policy'))).toBe(true);
    expect(found.some((p) => p.startsWith('folder cycle: src/gateway/one -> src/gateway/two -> src/gateway/one'))).toBe(true);
  });
});
