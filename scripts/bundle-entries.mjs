// Bundles each lab component's entry (dist/src/<component>/main.js …) into one file under
// dist/bundle/ (the last step of `npm run build`). A lab starts 5–20 Node processes and each one
// used to resolve, read and compile ~200 module files (grpc-js, protobufjs, yaml, zod, undici,
// prom-client, pino …); one bundled file costs about 40 % less CPU per process start (README, "What
// a lab start costs"). The code is the same compiled JavaScript: the launcher
// (src/process/launcher.ts) runs a bundle only when it is newer than every file of dist/src, else
// the plain entry; HALAB_NO_BUNDLE=1 forces the plain entries. Without esbuild (a production
// install without dev dependencies) this prints a note and bundles nothing.
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = join(import.meta.dirname, '..');
const out = join(root, 'dist', 'bundle');
// the same table as ENTRY_OVERRIDES in src/process/launcher.ts (component → entry under dist/src)
// plus the CLI (bin/halab.js runs dist/bundle/cli/main.js on the same terms)
const ENTRIES = ['controlplane/main', 'replica/main', 'gateway/regional/main', 'gateway/global/main', 'replica/standin-main', 'replica/host-main', 'cli/main'];

let esbuild;
try {
  esbuild = await import('esbuild');
} catch {
  rmSync(out, { recursive: true, force: true });
  console.log('bundle-entries: esbuild is not installed; lab components run from dist/src (slower start-up)');
  process.exit(0);
}
for (const e of ENTRIES) {
  if (!existsSync(join(root, 'dist', 'src', `${e}.js`))) throw new Error(`bundle-entries: dist/src/${e}.js is missing (run tsc first)`);
}
rmSync(out, { recursive: true, force: true });
await esbuild.build({
  absWorkingDir: root,
  entryPoints: Object.fromEntries(ENTRIES.map((e) => [e, `dist/src/${e}.js`])),
  outdir: out,
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // whitespace and syntax only: function and class names stay as they are (stack traces, logs)
  minifyWhitespace: true,
  minifySyntax: true,
  legalComments: 'none',
  logLevel: 'warning',
  // loaded on first use only, by processes that need them (containers, S3, etcd): kept as imports
  external: ['testcontainers', '@aws-sdk/*', 'etcd3'],
  // CommonJS packages inside an ES module bundle call require (protobufjs looks modules up with it)
  banner: { js: "import { createRequire as __halabCreateRequire } from 'node:module'; const require = __halabCreateRequire(import.meta.url);" },
});
console.log(`bundle-entries: ${ENTRIES.length} entries (lab components and the CLI) bundled into dist/bundle/`);
