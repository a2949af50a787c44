// Size caps for the logs of the lab's helper binaries, which have no Node process of their own to
// cap them: toxiproxy-server (`links`) and etcd. The first control-plane instance keeps them under
// the lab-wide cap for the life of the lab (a Node component caps its own log: src/core/log.ts;
// a llama.cpp sidecar caps its engine's). Their levels keep idle growth at ~0 B/s besides.
import type { Clock } from '../core/clock.js';
import { LogCapper, logMaxBytes } from '../core/log-cap.js';
import { logFile } from './paths.js';

/** Process names of the helpers whose logs the control plane caps. */
export const HELPER_LOG_NAMES = ['links', 'etcd'] as const;

/** Whether the control-plane instance `name` is the one that caps the helpers' logs. */
export function capsHelperLogs(name: string): boolean {
  return name === 'controlplane' || name === 'controlplane/0';
}

/** Starts capping the helpers' logs of the lab in `labDir`. */
export function capHelperLogs(labDir: string, clock: Clock, env: NodeJS.ProcessEnv = process.env): LogCapper {
  return new LogCapper(HELPER_LOG_NAMES.map((n) => logFile(labDir, n)), { maxBytes: logMaxBytes(env) }, clock).start();
}
