import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { realClock } from '../core/clock.js';
import { memoryEventSink } from '../record/events.js';
import { handleConfig } from '../gateway/stored/stored-routes.js';
import { EV } from '../record/event-types.js';
import { configSnapshot, ConfigReplicator } from './config-replicator.js';
import { LogStateStore } from './state-store-log.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});

/** A region endpoint as the gateway serves it: /internal/config over a real socket and a real log store. */
async function region(dir: string): Promise<{ url: string; store: LogStateStore; server: Server }> {
  const store = await LogStateStore.open(join(dir, 'region.log'));
  const server = createServer((req, res) => void handleConfig(store, 'r1', req, res));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(async () => {
    server.close();
    await store.close().catch(() => undefined);
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, store, server };
}

describe('config replication to regions', () => {
  it('pushes models, deployments and config; reports a failure as an event; re-pushes to a region that lost its copy', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'halab-cfg-'));
    closers.push(async () => rmSync(dir, { recursive: true, force: true }));
    const cp = await LogStateStore.open(join(dir, 'cp.log'));
    closers.push(() => cp.close());
    await cp.batch([['models/m', '{"version":"v1"}'], ['deployments/d1', '{}'], ['config/routing', '{}'], ['replicas/x', 'not replicated']]);
    const r = await region(dir);
    let url: string | undefined = r.url;
    const events = memoryEventSink('cp', realClock);
    const rep = new ConfigReplicator(cp, { regions: ['r1'], gatewayUrl: () => url, intervalMs: 50, requestTimeoutMs: 1000 }, realClock, events);
    await rep.syncAll();
    const want = await configSnapshot(cp);
    expect(Object.keys(want.keys).sort()).toEqual(['config/routing', 'deployments/d1', 'models/m']);
    expect([...(await r.store.list('cp/'))].map(([k]) => k)).toEqual(['cp/config/routing', 'cp/deployments/d1', 'cp/models/m']);
    expect(events.events.map((e) => e.type)).toEqual([EV.configReplicated]);

    await cp.put('models/m', '{"version":"v2"}');
    url = 'http://127.0.0.1:1';
    await rep.syncAll();
    await rep.syncAll();
    expect(events.events.map((e) => e.type)).toEqual([EV.configReplicated, EV.configReplicationFailed]);
    expect(events.events[1]!.reason).toMatch(/ECONNREFUSED/);

    url = r.url;
    await r.store.deletePrefix('cp/'); // the region lost its copy meanwhile
    await rep.syncAll();
    expect(events.events.at(-1)!.type).toBe(EV.configReplicated);
    expect(await r.store.get('cp/models/m')).toBe('{"version":"v2"}');
  });
});
