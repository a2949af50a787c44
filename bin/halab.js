#!/usr/bin/env node
// The `halab` binary: runs the compiled CLI (build first with `npm run build`): its one-file bundle
// (dist/bundle/cli/main.js, scripts/bundle-entries.mjs: the same code, less start-up CPU) when it
// is newer than every file of dist/src, else dist/src/cli/main.js. HALAB_NO_BUNDLE=1 forces the latter.
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

function freshBundle() {
  if (process.env.HALAB_NO_BUNDLE === '1') return undefined;
  const dist = join(import.meta.dirname, '..', 'dist');
  try {
    const bundle = join(dist, 'bundle', 'cli', 'main.js');
    const builtMs = statSync(bundle).mtimeMs;
    for (const e of readdirSync(join(dist, 'src'), { withFileTypes: true, recursive: true })) {
      if (e.isFile() && statSync(join(e.parentPath, e.name)).mtimeMs > builtMs) return undefined;
    }
    return bundle;
  } catch {
    return undefined;
  }
}

const bundle = freshBundle();
import(bundle ? pathToFileURL(bundle).href : '../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('halab: not built yet; run `npm run build` (or scripts/setup.sh) first');
    process.exit(2); // EXIT.badInput (src/core/exit-codes.ts, which is not built yet)
  }
  throw err;
});
