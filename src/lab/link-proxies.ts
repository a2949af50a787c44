// Link proxies: every connection that crosses regions goes through a Toxiproxy proxy, so the
// network between regions has the topology's latency and can be cut. One proxy per path into a
// region's gateway: `glb>R` (the global load balancer's own path to R, also its health checks) and
// `A>R` for clients homed in A sent to R (carrying links.interRegionLatencyMs). Faults act on every
// proxy into a region through Toxiproxy's HTTP API. Without a toxiproxy-server binary the lab runs
// with direct connections and the link faults refuse to start.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import { findGoBinary, type BinaryLocation } from '../core/go-binary.js';
import type { GlbRoutes } from '../gateway/global/regions.js';
import type { LinkProxy, LinksState } from '../process/lab-state.js';
import { recordLaunch } from '../process/owned.js';
import { logFile } from '../process/paths.js';
import { freePort } from '../core/free-port.js';

export const TOXIPROXY_VERSION = 'v2.12.0';
/**
 * toxiproxy-server's log level (its LOG_LEVEL). With a config file it logs at trace, and even at
 * warn it writes a line per closed connection ("Source terminated": ~4 KB/s at idle, the GLB opens
 * a connection per health check); at error it writes only failures. HALAB_TOXIPROXY_LOG_LEVEL
 * overrides it (trace, debug, info, warn, error). Its log file is size-capped besides (see
 * src/core/log-cap.ts; the control plane keeps the lab helpers' logs capped).
 */
export const TOXIPROXY_LOG_LEVEL = 'error';
const TOXIPROXY_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

/** The log level toxiproxy-server runs at: HALAB_TOXIPROXY_LOG_LEVEL when set, else TOXIPROXY_LOG_LEVEL. */
export function toxiproxyLogLevel(env: NodeJS.ProcessEnv = process.env): string {
  const level = env.HALAB_TOXIPROXY_LOG_LEVEL;
  if (level === undefined || level === '') return TOXIPROXY_LOG_LEVEL;
  if (!TOXIPROXY_LOG_LEVELS.includes(level)) throw new HalabError('USAGE', `HALAB_TOXIPROXY_LOG_LEVEL must be one of ${TOXIPROXY_LOG_LEVELS.join(', ')}, got "${level}"`);
  return level;
}



/** toxiproxy-server: $HALAB_TOXIPROXY when set (and only there), else go install's bin dirs, then $PATH. */
export function findToxiproxy(env: NodeJS.ProcessEnv = process.env): BinaryLocation {
  return findGoBinary('toxiproxy-server', 'HALAB_TOXIPROXY', `scripts/setup.sh installs Toxiproxy ${TOXIPROXY_VERSION}`, env);
}

async function api(base: string, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<unknown> {
  const res = await request(`${base}${path}`, { method, ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}) });
  const text = await res.body.text();
  if (res.statusCode >= 300) throw new HalabError('UPSTREAM_FAILED', `toxiproxy ${method} ${path}: ${res.statusCode} ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** GOMEMLIMIT of toxiproxy-server ($HALAB_TOXIPROXY_GOMEMLIMIT overrides). */
export const TOXIPROXY_GOMEMLIMIT = '96MiB';

/**
 * Starts toxiproxy-server detached (recorded in the lab's launch ledger, so `halab down` stops it
 * even when start-up fails half-way) and waits for its API. Returns its pid and API URL.
 */
export async function startToxiproxy(binary: string, host: string, labDir: string, clock: Clock): Promise<{ pid: number; api: string; args: string[] }> {
  const port = await freePort(host);
  const config = join(labDir, 'links', 'toxiproxy.json');
  mkdirSync(dirname(config), { recursive: true });
  writeFileSync(config, '[]\n');
  const log = logFile(labDir, 'links');
  mkdirSync(dirname(log), { recursive: true });
  const fd = openSync(log, 'a');
  const args = ['-host', host, '-port', String(port), '-config', config];
  let pid: number | undefined;
  try {
    // Go's soft memory limit: past it the collector runs harder and the scavenger hands freed pages
    // back, so a burst of connections does not leave the proxy at its peak (issue 16: ~650 MB, kept)
    const env = { ...process.env, LOG_LEVEL: toxiproxyLogLevel(), GOMEMLIMIT: process.env.HALAB_TOXIPROXY_GOMEMLIMIT ?? TOXIPROXY_GOMEMLIMIT };
    const child = spawn(binary, args, { detached: true, stdio: ['ignore', fd, fd], env });
    child.unref();
    pid = child.pid;
    if (pid) recordLaunch(labDir, 'links', pid);
  } finally {
    closeSync(fd);
  }
  if (!pid) throw new HalabError('LAB_START_FAILED', `could not start ${binary}`);
  const base = `http://${host}:${port}`;
  const deadline = clock.monoMs() + 10_000;
  for (;;) {
    try {
      await api(base, 'GET', '/version');
      return { pid, api: base, args };
    } catch (err) {
      if (clock.monoMs() > deadline) throw new HalabError('LAB_START_FAILED', `toxiproxy-server at ${base} did not answer within 10s: ${(err as Error).message}`);
      await clock.sleep(50);
    }
  }
}

/**
 * Creates the proxies into every region's gateway; the cross-region ones carry `latencyMs`. Each
 * listens on its target region's loopback address (the region's side of the link), so a hard
 * partition on that address cuts the links too.
 */
export async function createLinkProxies(apiUrl: string, gateways: readonly { region: string; url: string }[], latencyMs: number): Promise<LinkProxy[]> {
  const out: LinkProxy[] = [];
  for (const to of gateways) {
    const upstream = new URL(to.url).host;
    const listenHost = new URL(to.url).hostname;
    for (const from of ['glb', ...gateways.map((g) => g.region).filter((r) => r !== to.region)]) {
      const name = `${from}>${to.region}`;
      const created = (await api(apiUrl, 'POST', '/proxies', { name, listen: `${listenHost}:0`, upstream, enabled: true })) as { listen: string };
      const lat = from === 'glb' ? 0 : latencyMs;
      if (lat > 0) await api(apiUrl, 'POST', `/proxies/${encodeURIComponent(name)}/toxics`, { name: 'inter-region', type: 'latency', stream: 'downstream', attributes: { latency: lat, jitter: 0 } });
      out.push({ name, from, to: to.region, listen: created.listen, upstream, latencyMs: lat });
    }
  }
  return out;
}

/** The GLB's routes: direct to each gateway, or through the link proxies when there are any. */
export function glbRoutes(regions: readonly string[], gateways: readonly { region: string; url: string }[], links?: LinksState): GlbRoutes {
  const direct = Object.fromEntries(gateways.map((g) => [g.region, g.url]));
  if (!links) return { regions, check: direct, via: {} };
  const url = (p: LinkProxy): string => `http://${p.listen}`;
  return {
    regions,
    check: Object.fromEntries(links.proxies.filter((p) => p.from === 'glb').map((p) => [p.to, url(p)])),
    via: Object.fromEntries([
      ...links.proxies.filter((p) => p.from === 'glb').map((p) => [`${p.to}>${p.to}`, url(p)]),
      ...links.proxies.filter((p) => p.from !== 'glb').map((p) => [`${p.from}>${p.to}`, url(p)]),
    ]),
  };
}

/** The proxies that carry connections into a region. */
export function proxiesInto(links: LinksState, region: string): LinkProxy[] {
  return links.proxies.filter((p) => p.to === region);
}

/** Enables or disables one proxy (disabled: connections refused, open ones closed). */
export async function setProxyEnabled(apiUrl: string, proxy: string, enabled: boolean): Promise<void> {
  await api(apiUrl, 'POST', `/proxies/${encodeURIComponent(proxy)}`, { enabled });
}

/** Adds `latencyMs` to every connection through one proxy, as a toxic named `toxic`. */
export async function addLatencyToxic(apiUrl: string, proxy: string, toxic: string, latencyMs: number): Promise<void> {
  await api(apiUrl, 'POST', `/proxies/${encodeURIComponent(proxy)}/toxics`, { name: toxic, type: 'latency', stream: 'downstream', attributes: { latency: latencyMs, jitter: 0 } });
}

/** Removes a toxic from one proxy; a toxic that is already gone is not an error. */
export async function removeToxic(apiUrl: string, proxy: string, toxic: string): Promise<void> {
  try {
    await api(apiUrl, 'DELETE', `/proxies/${encodeURIComponent(proxy)}/toxics/${encodeURIComponent(toxic)}`);
  } catch (err) {
    if (!/ 404 /.test((err as Error).message)) throw err;
  }
}
