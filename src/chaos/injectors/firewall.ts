// Hard region partitions with iptables (root only): DROP rules on the region's address for its
// gateway's port and the link proxies into it, added port by port; heal deletes them.
import { HalabError } from '../../core/errors.js';
import { labTag, partitionRules } from '../../lab/firewall.js';
import { processNamed, runningLab, type Injector } from './injector.js';

export const firewallInjector: Injector = {
  family: 'firewall',
  kinds: ['region.partition'],
  async inject(ctx, req, undo) {
    const why = ctx.effects.firewallUnavailable();
    if (why) throw new HalabError('PREREQUISITE_MISSING', `${req.kind}: ${why}`);
    const state = runningLab(ctx);
    const gateway = processNamed(state, `gateway/${req.target}`);
    const host = ctx.topology.regions.find((r) => r.name === req.target)!.host;
    const linkPorts = (state.links?.proxies ?? []).filter((p) => p.to === req.target && p.listen.startsWith(`${host}:`)).map((p) => Number(p.listen.split(':').pop()));
    const comment = `${labTag(ctx.paths.labDir)}:${req.id}`;
    for (const port of [Number(new URL(gateway.url!).port), ...linkPorts]) {
      const rules = partitionRules(host, [port], comment);
      ctx.effects.addRules(rules);
      undo.push({ type: 'iptables', rules });
    }
    return { replicas: [] };
  },
};
