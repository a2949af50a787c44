// Suites: several scenarios run with one summary and one JUnit file — a directory of scenario
// files, or a suite file `{name, scenarios: [files], timeScale?, parallel?}`.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../core/errors.js';
import { parseWith } from '../config/schema-errors.js';
import { readYamlFile } from '../config/yaml-file.js';

export interface Suite {
  readonly name: string;
  readonly files: readonly string[];
  /** Lab time compression every scenario runs at (`--time-scale` overrides; src/run/time-scale.ts). */
  readonly timeScale?: number;
  /** Labs run at once (`--parallel` overrides; default from the core count). */
  readonly parallel?: number;
}

const suiteSchema = z.strictObject({
  name: z.string().min(1),
  scenarios: z.array(z.string().min(1)).min(1, 'a suite needs at least one scenario'),
  timeScale: z.number().min(0.1).max(1).optional(),
  parallel: z.number().int().min(1).max(8).optional(),
});

/** A suite for a path, or undefined when the path is a single scenario file. */
export function suiteFor(path: string): Suite | undefined {
  if (existsSync(path) && statSync(path).isDirectory()) {
    const files = readdirSync(path).filter((f) => f.endsWith('.yaml') || f.endsWith('.yml')).sort().map((f) => join(path, f));
    if (files.length === 0) throw new ConfigError(path, '', 'the directory holds no scenario files (*.yaml)');
    return { name: path.replace(/\/+$/, '').split('/').pop() || 'suite', files };
  }
  if (!existsSync(path)) return undefined;
  const data = readYamlFile(path, 'scenario or suite file');
  if (!data || typeof data !== 'object' || !('scenarios' in data)) return undefined;
  const suite = parseWith(suiteSchema, data, path);
  const base = dirname(resolve(path));
  const files = suite.scenarios.map((f) => (existsSync(f) ? f : join(base, f)));
  files.forEach((f, i) => {
    if (!existsSync(f)) throw new ConfigError(path, `scenarios[${i}]`, `no such scenario file "${suite.scenarios[i]}"`);
  });
  return { name: suite.name, files, ...(suite.timeScale !== undefined ? { timeScale: suite.timeScale } : {}), ...(suite.parallel !== undefined ? { parallel: suite.parallel } : {}) };
}
