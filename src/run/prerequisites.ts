// What a fault kind needs from the machine beyond the lab's own processes: link faults need
// Toxiproxy, hard partitions need root and iptables. Checked before a scenario starts, so a run
// that cannot inject its faults fails at once with the reason instead of half-way through.
import { HalabError } from '../core/errors.js';
import { firewallUnavailable } from '../lab/firewall.js';
import { findToxiproxy } from '../lab/link-proxies.js';

/** Why `kind` cannot be injected on this machine, or undefined when it can. */
export function missingPrerequisite(kind: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (kind === 'link.latency' || kind === 'link.partition') {
    const found = findToxiproxy(env);
    return found.path ? undefined : `${kind} needs Toxiproxy: ${found.reason}`;
  }
  if (kind === 'region.partition') {
    const why = firewallUnavailable();
    return why ? `region.partition is a hard partition: ${why}` : undefined;
  }
  return undefined;
}

/** What is missing for every fault kind of `kinds` that cannot run here (empty: all can). */
export function scenarioPrerequisites(kinds: Iterable<string>): string[] {
  return [...new Set(kinds)].map((k) => missingPrerequisite(k)).filter((m): m is string => m !== undefined);
}

/** Throws PREREQUISITE_MISSING naming every fault kind of `kinds` that cannot run here. */
export function checkPrerequisites(kinds: Iterable<string>, where: string): void {
  const missing = scenarioPrerequisites(kinds);
  if (missing.length > 0) throw new HalabError('PREREQUISITE_MISSING', `${where}: ${missing.join('; ')}`, 'run scripts/setup.sh as root, or remove those faults');
}
