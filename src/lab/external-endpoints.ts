// External endpoints in a lab: checks that their API keys are in the environment before anything
// starts, builds the arguments of the misbehaving-upstream stand-ins the lab launches for
// endpoints without a URL, and writes the topology with those URLs filled in (the copy every lab
// process then reads).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify as toYaml } from 'yaml';
import { HalabError } from '../core/errors.js';
import type { ReplicaSpec, Topology } from '../config/topology.js';

/** Refuses to start when an external cluster names an API-key variable that is not set. */
export function checkApiKeys(topology: Topology, env: NodeJS.ProcessEnv = process.env): void {
  for (const r of topology.replicas) {
    const name = r.external?.apiKeyEnv;
    if (name && !env[name]) {
      throw new HalabError('PREREQUISITE_MISSING', `environment variable ${name} (the API key of ${r.region}/${r.cluster} in ${topology.file}) is not set`, `export ${name}=... before starting the lab`);
    }
  }
}

function clusterDoc(topology: Topology, r: ReplicaSpec) {
  return topology.regions.find((g) => g.name === r.region)!.clusters.find((c) => c.name === r.cluster)!;
}

/** Command-line arguments of the stand-in the lab launches for an endpoint without a URL. */
export function standinArgs(topology: Topology, r: ReplicaSpec, labDir: string, name: string): string[] {
  const s = clusterDoc(topology, r).external?.standin;
  return [
    '--host', r.host,
    '--model', r.external!.model,
    '--model-version', s?.modelVersion ?? topology.model.version,
    ...(s?.contextLength !== undefined ? ['--context-length', String(s.contextLength)] : []),
    ...(s && !s.assistantPrefill ? ['--no-prefill'] : []),
    ...(s?.firstTokenMs !== undefined ? ['--first-token-ms', String(s.firstTokenMs)] : []),
    ...(s?.tokenMs !== undefined ? ['--token-ms', String(s.tokenMs)] : []),
    '--lab-dir', labDir,
    '--name', name,
  ];
}

/** Writes the topology with launched endpoints' URLs filled in; returns the file. */
export function writeResolvedTopology(topology: Topology, urls: ReadonlyMap<string, string>, labDir: string): string {
  const { file: _f, clusters: _c, replicas: _r, llamacppEngine: _l, ...doc } = topology;
  const resolved = JSON.parse(JSON.stringify(doc)) as typeof doc;
  for (const r of topology.replicas) {
    const url = urls.get(r.id);
    if (!url) continue;
    const region = resolved.regions.find((g) => g.name === r.region)!;
    const cluster = region.clusters.find((c) => c.name === r.cluster)!;
    cluster.external!.endpoints[r.index] = { ...cluster.external!.endpoints[r.index], url };
  }
  const out = join(labDir, 'topology.resolved.yaml');
  writeFileSync(out, `# ${topology.file} with the URLs of the stand-ins this lab launched\n${toYaml(resolved)}`);
  return out;
}
