// Command-line flags of the misbehaving-upstream stand-in, shared by its process entry
// (standin-main.ts, which the lab launches) and `halab standin serve`.
import type { Command } from 'commander';
import { HalabError } from '../core/errors.js';
import type { Clock } from '../core/clock.js';
import { DEFAULT_STANDIN, type StandinOptions } from './upstream-standin.js';
import { parseMisbehaviour } from './misbehaviour.js';

export interface StandinFlags {
  host: string;
  port: string;
  model: string;
  modelVersion: string;
  contextLength: string;
  prefill: boolean;
  firstTokenMs: string;
  tokenMs: string;
  mode?: string;
  apiKeyEnv?: string;
}

export function addStandinFlags(cmd: Command): Command {
  return cmd
    .option('--host <host>', 'loopback address to bind', '127.0.0.1')
    .option('--port <port>', 'port (0: ephemeral)', '0')
    .option('--model <name>', 'model name served', DEFAULT_STANDIN.modelName)
    .option('--model-version <v>', 'model version (salts the deterministic answers)', DEFAULT_STANDIN.modelVersion)
    .option('--context-length <n>', 'context length in tokens', String(DEFAULT_STANDIN.contextLength))
    .option('--no-prefill', 'reject continue_final_message (assistant prefill) with 400')
    .option('--first-token-ms <ms>', 'time to first token', String(DEFAULT_STANDIN.firstTokenMs))
    .option('--token-ms <ms>', 'time between tokens', String(DEFAULT_STANDIN.tokenMs))
    .option('--api-key-env <name>', 'require the API key held by this environment variable (401 otherwise)')
    .option('--mode <json>', 'initial misbehaviour as JSON, e.g. {"mode":"rate-limit","retryAfterS":2}');
}

function num(text: string, flag: string, min = 0): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new HalabError('USAGE', `${flag} must be a number >= ${min}, got "${text}"`);
  return n;
}

export function standinOptions(f: StandinFlags, clock: Clock): StandinOptions {
  if (!/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(f.host)) throw new HalabError('USAGE', `--host must be a loopback address (127.x.y.z), got "${f.host}"`);
  let initial;
  if (f.mode) {
    let data: unknown;
    try {
      data = JSON.parse(f.mode);
    } catch {
      data = { mode: f.mode };
    }
    initial = parseMisbehaviour(data);
  }
  const apiKey = f.apiKeyEnv ? process.env[f.apiKeyEnv] : undefined;
  if (f.apiKeyEnv && !apiKey) throw new HalabError('USAGE', `--api-key-env ${f.apiKeyEnv}: that environment variable is not set`);
  return {
    ...(apiKey ? { apiKey } : {}),
    host: f.host,
    port: num(f.port, '--port'),
    modelName: f.model,
    modelVersion: f.modelVersion,
    contextLength: num(f.contextLength, '--context-length', 1),
    assistantPrefill: f.prefill,
    firstTokenMs: num(f.firstTokenMs, '--first-token-ms'),
    tokenMs: num(f.tokenMs, '--token-ms'),
    clock,
    ...(initial ? { initial } : {}),
  };
}
