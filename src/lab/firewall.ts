// Hard partitions with iptables (root only): DROP rules on a region's loopback address and the
// ports that lead into the region (its gateway, and the link proxies into it, which listen on the
// region's address), both directions, so connections into the region hang instead of being
// refused. (The proxies' ports matter: Toxiproxy dials upstream inside its accept loop, so a
// black-holed dial behind the proxy would hold up every later connection after the heal too.)
// Every rule carries a comment naming the lab (a hash of its directory) and the fault, so heal and
// `halab down` remove exactly this lab's rules and never another lab's.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { HalabError } from '../core/errors.js';

const CHAIN = 'INPUT';

/** The comment prefix of this lab's rules. */
export function labTag(labDir: string): string {
  return `halab-${createHash('sha1').update(labDir).digest('hex').slice(0, 10)}`;
}

function iptables(args: readonly string[]): string {
  return execFileSync('iptables', ['-w', '5', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Why hard partitions cannot run here, or undefined when they can (root and a working iptables). */
export function firewallUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'hard partitions need root (iptables); run as root or use link.partition (Toxiproxy)';
  try {
    iptables(['-L', CHAIN, '-n']);
    return undefined;
  } catch (err) {
    return `iptables does not work here: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim().split('\n')[0]} (scripts/setup.sh installs it)`;
  }
}

/** The rule specs (without -A/-D) that cut host:port off in both directions, for each port. */
export function partitionRules(host: string, ports: readonly number[], comment: string): string[][] {
  const tail = ['-m', 'comment', '--comment', comment, '-j', 'DROP'];
  return ports.flatMap((port) => [
    ['-d', `${host}/32`, '-p', 'tcp', '-m', 'tcp', '--dport', String(port), ...tail],
    ['-s', `${host}/32`, '-p', 'tcp', '-m', 'tcp', '--sport', String(port), ...tail],
  ]);
}

export function addRules(rules: readonly string[][]): void {
  const added: string[][] = [];
  try {
    for (const r of rules) {
      iptables(['-I', CHAIN, ...r]);
      added.push(r);
    }
  } catch (err) {
    deleteRules(added);
    throw new HalabError('UPSTREAM_FAILED', `iptables refused a rule: ${((err as { stderr?: string }).stderr ?? (err as Error).message).trim()}`);
  }
}

/** Deletes rules; a rule that is already gone is not an error. */
export function deleteRules(rules: readonly string[][]): void {
  for (const r of rules) {
    try {
      iptables(['-D', CHAIN, ...r]);
    } catch {
      // already removed
    }
  }
}

/** Rules in the chain whose comment starts with `tag` (as specs for -D). */
export function listTaggedRules(tag: string): string[][] {
  let out: string;
  try {
    out = iptables(['-S', CHAIN]);
  } catch {
    return [];
  }
  return out
    .split('\n')
    .filter((l) => l.startsWith(`-A ${CHAIN} `) && l.includes(tag))
    .map((l) => l.slice(`-A ${CHAIN} `.length).split(' ').map((a) => a.replace(/^"|"$/g, '')))
    .filter((spec) => (spec[spec.indexOf('--comment') + 1] ?? '').startsWith(tag));
}

/** Removes every rule of the lab (`halab down`, heal of leftovers). Returns how many. */
export function removeLabRules(labDir: string): number {
  if (firewallUnavailable()) return 0;
  const rules = listTaggedRules(labTag(labDir));
  deleteRules(rules);
  return rules.length;
}
