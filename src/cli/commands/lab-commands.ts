// `halab up`, `halab down` and `halab status`: start, stop and inspect a lab by hand.
import type { Command } from 'commander';
import { request } from 'undici';
import { realClock } from '../../core/clock.js';
import { loadTopology } from '../../config/topology.js';
import { labStatus, startLab, stopLab } from '../../lab/lab.js';
import { requireLabState } from '../../process/lab-state.js';
import { surveyLab } from '../../process/lab-processes.js';
import { labPaths, workersOf } from '../../process/paths.js';
import { isAlive as pidAlive } from '../../process/launcher.js';
import { readFaults } from '../../chaos/faults-store.js';
import { HalabError } from '../../core/errors.js';
import { formatProcessTable, livenessWarnings, processLiveness } from './lab-liveness.js';

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
      const timeoutMs = opts.timeout === undefined ? undefined : Number(opts.timeout);
      if (timeoutMs !== undefined && !(Number.isInteger(timeoutMs) && timeoutMs > 0)) throw new HalabError('USAGE', `--timeout must be a positive whole number of ms, not "${opts.timeout}"`);
      const old = surveyLab(labPaths());
      if (old.corrupt && !old.processes.some((p) => p.liveness === 'alive')) process.stderr.write(`note: ${old.corrupt.message}; none of its processes runs, so it is cleaned up\n`);
      const started = realClock.monoMs();
      process.stderr.write(`starting ${topology.replicas.length} replicas in ${topology.regions.length} regions from ${file}...\n`);
      const state = await startLab(topology, labPaths(), realClock, timeoutMs !== undefined ? { timeoutMs } : {});
      process.stdout.write(
        `lab up in ${((realClock.monoMs() - started) / 1000).toFixed(1)}s: ${new Set(state.processes.map((p) => p.pid)).size} processes, all replicas healthy\n` +
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
      const r = await stopLab(paths, realClock);
      const lines = [
        ...(r.corrupt ? [`${r.corrupt}; stopped the processes its launch records name instead`] : []),
        ...r.leftAlone.map((l) => `left alone: ${l}`),
        r.found
          ? `lab down: ${r.stopped} processes stopped${r.alreadyGone ? `, ${r.alreadyGone} had already exited` : ''}${r.containersRemoved ? `, ${r.containersRemoved} containers removed` : ''}, ${paths.labDir} removed`
          : 'no lab was running',
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}

export function registerStatus(program: Command): void {
  program
    .command('status')
    .description('show every process of the lab, its health, and current faults')
    .option('--json', 'print one JSON object')
    .action(async (opts: { json?: boolean }) => {
      const paths = labPaths();
      const survey = surveyLab(paths);
      if (survey.corrupt) {
        const live = survey.processes.filter((p) => p.liveness === 'alive');
        throw new HalabError('STATE_CORRUPT', `${survey.corrupt.message}; ${live.length} of the processes it started still run${live.length ? `: ${live.map((p) => `${p.name} pid ${p.pid}`).join(', ')}` : ''}`, survey.corrupt.hint);
      }
      const state = requireLabState(paths);
      const processes = processLiveness(state);
      const aliveOf = new Map(processes.map((p) => [p.name, p.alive]));
      const isAlive = (name: string | undefined): boolean => (name ? (aliveOf.get(name) ?? false) : false);
      const warnings = livenessWarnings(processes);
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
            alive: isAlive(p.name),
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
          alive: standin ? isAlive(standin.name) : true,
          healthy: s.healthy,
          routable: s.routable,
          modelVersion: s.modelVersion || 'external',
          reason: s.reason || `external; gpu ${s.signals.gpu ?? 'unknown'}`,
        });
      }
      const gateways = state.processes.filter((p) => p.kind === 'gateway').map((p) => ({ region: p.subject!, url: p.url ?? '', pid: p.pid, alive: isAlive(p.name) }));
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
        globalLoadBalancer: state.glb ? { url: state.glb, alive: isAlive(state.processes.find((p) => p.kind === 'glb')?.name), workers: workersOf(state.labDir, 'glb').map((pid) => ({ pid, alive: pidAlive(pid) })), ...(await glbStatus(state.glb)) } : undefined,
        links: state.links ? { api: state.links.api, proxies: state.links.proxies } : { note: state.linksNote ?? 'no link proxies' },
        processes,
        dead: processes.filter((p) => !p.alive).map((p) => p.name),
        warnings,
      };
      if (opts.json) {
        process.stdout.write(JSON.stringify(report, null, 2) + '\n');
        return;
      }
      const glbAlive = report.globalLoadBalancer?.alive ?? false;
      const lines = [
        ...warnings.map((w) => `WARNING: ${w}`),
        `entrypoint:    ${report.entrypoint}${state.glb && !glbAlive ? ' (DEAD)' : ''}`,
        `control plane: ${report.controlPlane} (${report.controlPlaneAlive ? `up; leader ${report.controlPlaneLeader}, term ${report.controlPlaneTerm}` : 'NOT ANSWERING'})`,
        `metrics:       ${report.metrics.join(' ')}`,
        ...gateways.map((g) => `gateway ${g.region}: ${g.url} pid ${g.pid} ${g.alive ? 'up' : 'DOWN'}`),
        ...(report.globalLoadBalancer && report.globalLoadBalancer.workers.length > 0 ? [`glb workers:   ${report.globalLoadBalancer.workers.map((w) => `pid ${w.pid} ${w.alive ? 'up' : 'DOWN'}`).join(', ')}`] : []),
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
        '',
        ...formatProcessTable(processes),
      ];
      process.stdout.write(lines.join('\n') + '\n');
    });
}
