// `halab up`, `halab down` and `halab status`: start, stop and inspect a lab by hand.
import type { Command } from 'commander';
import { request } from 'undici';
import { realClock } from '../../core/clock.js';
import { loadTopology } from '../../config/topology.js';
import { labStatus, startLab, stopLab } from '../../lab/lab.js';
import { readLabState, requireLabState } from '../../process/lab-state.js';
import { labPaths } from '../../process/paths.js';
import { readFaults } from '../../chaos/faults-store.js';
import { isAlive } from '../../process/launcher.js';

export const DEFAULT_TOPOLOGY = 'cluster/two-region.yaml';

/** The global load balancer's own view (GET /status), or a note that it does not answer. */
async function glbStatus(url: string): Promise<Record<string, unknown>> {
  try {
    const res = await request(`${url}/status`, { headersTimeout: 2000, bodyTimeout: 2000 });
    return (await res.body.json()) as Record<string, unknown>;
  } catch (err) {
    return { error: `not answering: ${(err as Error).message}` };
  }
}

export function registerUp(program: Command): void {
  program
    .command('up')
    .description('start the control plane, gateways and replicas of a topology in the background')
    .argument('[topology]', 'topology file', DEFAULT_TOPOLOGY)
    .option('--timeout <ms>', 'bound on start-up, model loading included')
    .action(async (file: string, opts: { timeout?: string }) => {
      const topology = loadTopology(file);
      const started = realClock.monoMs();
      process.stderr.write(`starting ${topology.replicas.length} replicas in ${topology.regions.length} regions from ${file}...\n`);
      const state = await startLab(topology, labPaths(), realClock, opts.timeout ? { timeoutMs: Number(opts.timeout) } : {});
      process.stdout.write(
        `lab up in ${((realClock.monoMs() - started) / 1000).toFixed(1)}s: ${state.processes.length} processes, all replicas healthy\n` +
          `control plane: ${state.controlPlane}\nentrypoint:    ${state.entrypoint}/v1/chat/completions\n`,
      );
    });
}

export function registerDown(program: Command): void {
  program
    .command('down')
    .description('stop every process of the lab and remove its files')
    .action(async () => {
      const paths = labPaths();
      const state = readLabState(paths);
      const { stopped } = await stopLab(paths, realClock);
      process.stdout.write(state || stopped > 0 ? `lab down: ${stopped} processes stopped, ${paths.labDir} removed\n` : 'no lab was running\n');
    });
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show every process of the lab, its health, and current faults')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const paths = labPaths();
      const state = requireLabState(paths);
      const status = await labStatus(state, realClock);
      const faults = readFaults(paths.labDir);
      const byId = new Map(status?.replicas.map((r) => [r.replicaId, r]) ?? []);
      const replicas = state.processes
        .filter((p) => p.kind === 'replica')
        .map((p) => {
          const s = byId.get(p.subject!);
          return {
            id: p.subject!,
            region: s?.region ?? p.subject!.split('/')[0]!,
            cluster: s?.cluster ?? p.subject!.split('/')[1]!,
            url: s?.httpUrl || p.url || '',
            pid: p.pid,
            alive: isAlive(p.pid),
            healthy: s?.healthy ?? false,
            routable: s?.routable ?? false,
            modelVersion: s?.modelVersion ?? '',
            reason: s?.reason ?? (status ? '' : 'control plane unreachable'),
          };
        });
      // external endpoints are not lab processes (a launched stand-in is, under standin/<id>)
      const listed = new Set(replicas.map((r) => r.id));
      for (const s of status?.replicas ?? []) {
        if (listed.has(s.replicaId)) continue;
        const standin = state.processes.find((p) => p.kind === 'standin' && p.subject === s.replicaId);
        replicas.push({
          id: s.replicaId,
          region: s.region,
          cluster: s.cluster,
          url: s.httpUrl,
          pid: standin?.pid ?? 0,
          alive: standin ? isAlive(standin.pid) : true,
          healthy: s.healthy,
          routable: s.routable,
          modelVersion: s.modelVersion || 'external',
          reason: s.reason || `external; gpu ${s.signals.gpu ?? 'unknown'}`,
        });
      }
      const gateways = state.processes.filter((p) => p.kind === 'gateway').map((p) => ({ region: p.subject!, url: p.url ?? '', pid: p.pid, alive: isAlive(p.pid) }));
      const report = {
        entrypoint: state.entrypoint ?? '',
        controlPlane: state.controlPlane ?? '',
        controlPlaneAlive: status !== undefined,
        controlPlaneLeader: status?.instance ?? '',
        controlPlaneTerm: status?.leaderTerm ?? 0,
        metrics: [state.processes.find((p) => p.kind === 'controlplane')?.url, ...gateways.map((g) => `${g.url}/metrics`), ...(state.glb ? [`${state.glb}/metrics`] : [])].filter(Boolean),
        topology: state.topologyFile,
        gateways,
        replicas,
        clusters: status?.clusters ?? [],
        faults,
        globalLoadBalancer: state.glb ? { url: state.glb, alive: isAlive(state.processes.find((p) => p.kind === 'glb')?.pid ?? 0), ...(await glbStatus(state.glb)) } : undefined,
        links: state.links ? { api: state.links.api, proxies: state.links.proxies } : { note: state.linksNote ?? 'no link proxies' },
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const lines = [
        `entrypoint:    ${report.entrypoint}`,
        `control plane: ${report.controlPlane} (${report.controlPlaneAlive ? `up; leader ${report.controlPlaneLeader}, term ${report.controlPlaneTerm}` : 'NOT ANSWERING'})`,
        `metrics:       ${report.metrics.join(' ')}`,
        ...gateways.map((g) => `gateway ${g.region}: ${g.url} pid ${g.pid} ${g.alive ? 'up' : 'DOWN'}`),
        ...(((report.globalLoadBalancer as { regions?: unknown } | undefined)?.regions as { region: string; health: string; available: boolean; servesHome: string[] }[] | undefined) ?? []).map(
          (r) => `glb → ${r.region}: ${r.health}${r.available ? '' : ' (not routed to)'}; serves clients of ${r.servesHome.join(', ') || 'none'}`,
        ),
        `links:         ${state.links ? state.links.proxies.map((p) => `${p.name} +${p.latencyMs}ms`).join(', ') : (state.linksNote ?? 'none')}`,
        '',
        'replica                 pid      healthy  routable  version  note',
        ...replicas.map((r) => `${r.id.padEnd(23)} ${String(r.pid).padEnd(8)} ${String(r.healthy).padEnd(8)} ${String(r.routable).padEnd(9)} ${r.modelVersion.padEnd(8)} ${r.alive ? r.reason : 'process not running'}`),
        '',
        ...report.clusters.map((c) => `cluster ${c.region}/${c.cluster} (${c.role}): ${c.healthy}/${c.total} healthy, ${c.serving ? 'serving' : 'standby'}`),
        '',
        faults.length === 0 ? 'faults: none' : `faults:\n${faults.map((f) => `  ${f.id}  ${f.kind} on ${f.target}`).join('\n')}`,
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
