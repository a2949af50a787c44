// Network faults on the inter-region links, through Toxiproxy: every proxy into the region is
// disabled (link.partition) or given a latency toxic (link.latency), one proxy at a time.
import { HalabError } from '../../core/errors.js';
import { proxiesInto } from '../../lab/link-proxies.js';
import { runningLab, type Injector } from './injector.js';

export const linkInjector: Injector = {
  family: 'link',
  kinds: ['link.partition', 'link.latency'],
  async inject(ctx, req, undo) {
    const state = runningLab(ctx);
    const links = state.links;
    if (!links) {
      throw new HalabError('PREREQUISITE_MISSING', `${req.kind} needs the inter-region link proxies, and this lab runs without them (${state.linksNote ?? 'no Toxiproxy'})`, 'run scripts/setup.sh (installs toxiproxy-server), then bring the lab up again');
    }
    const toxic = `fault-${req.id}`;
    for (const proxy of proxiesInto(links, req.target)) {
      if (req.kind === 'link.partition') {
        await ctx.effects.setProxyEnabled(links.api, proxy.name, false);
        undo.push({ type: 'link-enable', proxy: proxy.name });
      } else {
        await ctx.effects.addLatencyToxic(links.api, proxy.name, toxic, req.params.latencyMs ?? 200);
        undo.push({ type: 'link-toxic', proxy: proxy.name, toxic });
      }
    }
    return { replicas: [] };
  },
};
