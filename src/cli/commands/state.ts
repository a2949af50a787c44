// `halab backup [--list]` and `halab restore [--from <snapshot>]`: snapshots of the control-plane
// state in the object store (file:// or s3://), and a restore into a fresh control plane that
// re-adopts the running replicas. A truncated or corrupted snapshot is refused (exit 2) before
// anything is stopped or overwritten.
import { basename, dirname, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Command } from 'commander';
import { realClock } from '../../core/clock.js';
import { loadTopology } from '../../config/topology.js';
import { listBackups, readBackup } from '../../store/backup.js';
import { requestBackup } from '../../lab/cp-client.js';
import { readLabState, requireLabState } from '../../process/lab-state.js';
import { openObjectStore } from '../../store/object-store.js';
import { labPaths } from '../../process/paths.js';
import { labObjectStore, restoreControlPlane } from '../../lab/restore.js';
import { parseNumberFlag } from './number-flags.js';

/** --from as a snapshot name in the store, or a path / URL of a snapshot file. */
function snapshotRef(from: string | undefined, store: string | undefined): { from?: string; storeUrl?: string } {
  if (!from || !/[/\\]/.test(from)) return { ...(from ? { from } : {}), ...(store ? { storeUrl: store } : {}) };
  if (/^(file|s3):\/\//.test(from)) return { from: from.slice(from.lastIndexOf('/') + 1), storeUrl: from.slice(0, from.lastIndexOf('/')) };
  return { from: basename(from), storeUrl: pathToFileURL(dirname(resolve(from))).href };
}

export function registerBackup(program: Command): void {
  program
    .command('backup')
    .description("snapshot the control plane's state to its object store now (or list the snapshots)")
    .option('--list', 'list the snapshots in the object store, oldest first, with their checks')
    .option('--store <url>', 'object store to list (default: the lab topology\'s controlPlane.backup.url)')
    .option('--endpoint <url>', 'S3 endpoint for --store s3://… when no lab is running')
    .option('--json', 'print JSON')
    .action(async (opts: { list?: boolean; store?: string; endpoint?: string; json?: boolean }) => {
      const paths = labPaths();
      if (opts.list) {
        // Listing needs no running lab when the store is named.
        const objects = opts.store && !readLabState(paths) ? openObjectStore(opts.store, opts.endpoint ? { endpoint: opts.endpoint } : {}) : labObjectStore(paths, loadTopology(requireLabState(paths).topologyFile), opts.store);
        const rows = [];
        for (const name of await listBackups(objects)) {
          const r = await readBackup(objects, name).then(
            ({ snapshot }) => ({ name, ok: true, createdAtMs: snapshot.header.createdAtMs, keys: snapshot.header.keys, bytes: snapshot.header.bytes }),
            (err: Error) => ({ name, ok: false, error: err.message }),
          );
          rows.push(r);
        }
        process.stdout.write(opts.json ? JSON.stringify({ store: objects.url, snapshots: rows }, null, 2) + '\n' : `${objects.url}\n${rows.map((r) => `${r.name}  ${'error' in r ? `UNUSABLE: ${r.error}` : `${new Date(r.createdAtMs).toISOString()}  ${r.keys} keys  ${r.bytes} bytes`}`).join('\n') || '(no snapshots)'}\n`);
        return;
      }
      const reply = await requestBackup(requireLabState(paths).controlPlane!, realClock);
      process.stdout.write(opts.json ? JSON.stringify(reply, null, 2) + '\n' : `backup ${reply.name}: ${reply.keys} keys, ${reply.bytes} bytes, sha256 ${reply.sha256.slice(0, 16)}…\n  ${reply.url}\n${reply.pruned.length ? `  retention removed ${reply.pruned.join(', ')}\n` : ''}`);
    });
}

export function registerRestore(program: Command): void {
  program
    .command('restore')
    .description('restore the control plane from a snapshot into a fresh control plane, which re-adopts the running replicas')
    .option('--from <snapshot>', 'snapshot name, file path or URL (default: the newest in the object store)')
    .option('--store <url>', 'object store (default: the lab topology\'s controlPlane.backup.url)')
    .option('--timeout <ms>', 'bound on the restored control plane reporting every live replica healthy', '60000')
    .option('--json', 'print JSON')
    .action(async (opts: { from?: string; store?: string; timeout: string; json?: boolean }) => {
      const r = await restoreControlPlane(labPaths(), realClock, { ...snapshotRef(opts.from, opts.store), timeoutMs: parseNumberFlag('--timeout', opts.timeout, { integer: true, above: 0 }) });
      process.stdout.write(opts.json ? JSON.stringify(r, null, 2) + '\n' : `restored ${r.snapshot} (${r.keys} keys, taken ${new Date(r.createdAtMs).toISOString()}) from ${r.url}\ncontrol plane serving again in ${(r.restoreMs / 1000).toFixed(1)}s, every live replica adopted and healthy\n`);
    });
}
