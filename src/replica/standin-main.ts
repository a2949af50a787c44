// Misbehaving-upstream stand-in process entry (a plain OpenAI server, no agent):
// `node dist/src/replica/standin-main.js [--lab-dir D --name N] [stand-in flags]`. Prints its URL.
import { EXIT } from '../core/exit-codes.js';
import { Command } from 'commander';
import { realClock } from '../core/clock.js';
import { writeReadyFile } from '../process/paths.js';
import { addStandinFlags, standinOptions, type StandinFlags } from './standin-flags.js';
import { startUpstreamStandin } from './upstream-standin.js';
import { useLabAuth } from '../protocol/lab-auth.js';
import { loadLabAuth } from '../process/lab-secret.js';

const opts = addStandinFlags(new Command())
  .option('--lab-dir <dir>', 'lab directory (the lab launches stand-ins with it)')
  .option('--name <name>', 'process name in the lab')
  .parse()
  .opts<StandinFlags & { labDir?: string; name?: string }>();

// in a lab, its /admin/* fault API answers lab components only
if (opts.labDir) useLabAuth(loadLabAuth(opts.labDir, `standin/${opts.name ?? 'upstream'}`));
const standin = await startUpstreamStandin(standinOptions(opts, realClock));
if (opts.labDir && opts.name) writeReadyFile(opts.labDir, opts.name, { httpUrl: standin.url });
process.stdout.write(`${standin.url}\n`);

let stopping = false;
async function shutdown(): Promise<void> {
  if (stopping) return;
  stopping = true;
  await standin.close();
  process.exit(EXIT.ok);
}
process.on('SIGTERM', () => void shutdown());
process.on('SIGINT', () => void shutdown());
