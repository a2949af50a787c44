// Known answers of llama.cpp replicas, computed once at lab start: one reference llama-server per
// model file (each version's, and model.corrupt's) answers the control plane's health probe with
// greedy decoding; the answers go to <lab>/known-answers.json for the control plane. The engines
// under test never vouch for themselves.
import { request } from 'undici';
import type { Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { Topology } from '../config/topology.js';
import type { LlamacppConfig } from '../config/topology-llamacpp.js';
import { probeBody } from '../controlplane/health/prober.js';
import { writeKnownAnswers, type KnownAnswers } from '../process/known-answers.js';
import { logFile } from '../process/paths.js';
import { LlamaEngine } from '../replica/llamacpp-engine.js';

const ANSWER_TIMEOUT_MS = 30_000;

/** The greedy answer of the model in `modelPath` to the health probe. */
export async function referenceAnswer(engine: LlamacppConfig, modelPath: string, host: string, labDir: string, name: string, modelName: string, clock: Clock): Promise<string> {
  const e = new LlamaEngine({ ...engine, serverPath: engine.serverPath, host, logFile: logFile(labDir, `reference/${name}`), clock });
  try {
    await e.start(modelPath);
    const res = await request(`${e.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(probeBody(modelName)),
      headersTimeout: ANSWER_TIMEOUT_MS,
      bodyTimeout: ANSWER_TIMEOUT_MS,
    });
    const text = await res.body.text();
    if (res.statusCode !== 200) throw new HalabError('LAB_START_FAILED', `the reference engine for ${modelPath} answered the probe with ${res.statusCode}: ${text.slice(0, 200)}`);
    return (JSON.parse(text) as { choices?: { message?: { content?: string } }[] }).choices?.[0]?.message?.content ?? '';
  } finally {
    await e.stop();
  }
}

/** Computes and stores the known answers of a topology's llama.cpp model files. */
export async function computeKnownAnswers(topology: Topology, labDir: string, clock: Clock): Promise<KnownAnswers> {
  const engine = topology.llamacppEngine;
  if (!engine) throw new HalabError('INTERNAL', 'no llama.cpp clusters in this topology');
  const host = topology.controlPlane.host;
  const versions = Object.entries(engine.models);
  const answers = await Promise.all([
    ...versions.map(([v, file]) => referenceAnswer(engine, file, host, labDir, v, topology.model.name, clock)),
    referenceAnswer(engine, engine.corruptModel, host, labDir, 'corrupt', topology.model.name, clock),
  ]);
  const known: KnownAnswers = {
    versions: Object.fromEntries(versions.map(([v], i) => [v, answers[i]!])),
    corrupt: answers.at(-1)!,
    computedAtMs: clock.nowMs(),
  };
  const current = known.versions[topology.model.version];
  if (current === known.corrupt) {
    throw new HalabError('LAB_START_FAILED', `the corrupt model ${engine.corruptModel} answers the health probe like version ${topology.model.version}: model.corrupt could not be detected`, 'set llamacpp.corruptModel to a file with other weights');
  }
  writeKnownAnswers(labDir, known);
  return known;
}
