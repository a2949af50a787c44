#!/usr/bin/env node
// The `halab` binary: runs the compiled CLI (build first with `npm run build`).
import('../dist/src/cli/main.js').catch((err) => {
  if (err && err.code === 'ERR_MODULE_NOT_FOUND') {
    console.error('halab: not built yet; run `npm run build` (or scripts/setup.sh) first');
    process.exit(2); // EXIT.badInput (src/core/exit-codes.ts, which is not built yet)
  }
  throw err;
});
