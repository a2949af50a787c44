// The injector table: one injector per fault family, and each kind of the catalogue to exactly
// one of them. A kind without an injector, or with two, is an error when this module loads.
import { faultKindNames } from '../../config/fault-kinds.js';
import { agentInjector } from './agent.js';
import { clientInjector } from './client.js';
import { commandInjector } from './command.js';
import { firewallInjector } from './firewall.js';
import type { Injector } from './injector.js';
import { linkInjector } from './link.js';
import { processInjector } from './process.js';
import { stateInjector } from './state.js';

export const INJECTORS: readonly Injector[] = [processInjector, agentInjector, linkInjector, firewallInjector, stateInjector, commandInjector, clientInjector];

/** Each kind's injector; throws when a catalogue kind has none or several, or an injector claims an unknown kind. */
export function injectorTable(injectors: readonly Injector[], kinds: readonly string[]): ReadonlyMap<string, Injector> {
  const table = new Map<string, Injector>();
  for (const injector of injectors) {
    for (const kind of injector.kinds) {
      const other = table.get(kind);
      if (other) throw new Error(`fault kind ${kind} has two injectors: ${other.family} and ${injector.family}`);
      if (!kinds.includes(kind)) throw new Error(`the ${injector.family} injector claims ${kind}, which is not in the fault catalogue`);
      table.set(kind, injector);
    }
  }
  const missing = kinds.filter((k) => !table.has(k));
  if (missing.length) throw new Error(`fault kinds without an injector: ${missing.join(', ')}`);
  return table;
}

export const INJECTOR_BY_KIND = injectorTable(INJECTORS, faultKindNames());
