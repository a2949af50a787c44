import { describe, expect, it } from 'vitest';
import type { LinksState } from '../process/lab-state.js';
import { findToxiproxy, glbRoutes } from './link-proxies.js';

const gateways = [
  { region: 'a', url: 'http://127.0.41.1:1000' },
  { region: 'b', url: 'http://127.0.42.1:2000' },
];

describe('glbRoutes', () => {
  it('goes straight to the gateways without link proxies', () => {
    expect(glbRoutes(['a', 'b'], gateways)).toEqual({ regions: ['a', 'b'], check: { a: gateways[0]!.url, b: gateways[1]!.url }, via: {} });
  });

  it('sends each home region through its own link into every region, and checks over the GLB links', () => {
    const proxy = (from: string, to: string, port: number, latencyMs: number) => ({ name: `${from}>${to}`, from, to, listen: `127.0.0.1:${port}`, upstream: '', latencyMs });
    const links: LinksState = { api: 'http://127.0.0.1:9', proxies: [proxy('glb', 'a', 1, 0), proxy('b', 'a', 2, 30), proxy('glb', 'b', 3, 0), proxy('a', 'b', 4, 30)] };
    expect(glbRoutes(['a', 'b'], gateways, links)).toEqual({
      regions: ['a', 'b'],
      check: { a: 'http://127.0.0.1:1', b: 'http://127.0.0.1:3' },
      via: { 'a>a': 'http://127.0.0.1:1', 'b>b': 'http://127.0.0.1:3', 'b>a': 'http://127.0.0.1:2', 'a>b': 'http://127.0.0.1:4' },
    });
  });
});

describe('findToxiproxy', () => {
  it('uses only $HALAB_TOXIPROXY when set, and says why when nothing is found', () => {
    expect(findToxiproxy({ HALAB_TOXIPROXY: '/nonexistent/toxiproxy-server' }).reason).toMatch(/HALAB_TOXIPROXY=\/nonexistent\/toxiproxy-server is not an executable/);
    const none = findToxiproxy({ HOME: '/nonexistent', PATH: '/nonexistent/bin' });
    expect(none.path).toBeUndefined();
    expect(none.reason).toMatch(/no toxiproxy-server in .*scripts\/setup\.sh installs Toxiproxy v2\.12\.0/);
  });
});
