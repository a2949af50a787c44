// The known answers of real llama.cpp replicas: what the engine answers the control plane's
// health probe with each model version's file, computed once at lab start by reference engines
// (never by the replicas under test) and kept in the lab directory for the control plane.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HalabError } from '../core/errors.js';

export interface KnownAnswers {
  /** Model version → the greedy answer to the health probe. */
  readonly versions: Readonly<Record<string, string>>;
  /** The answer of model.corrupt's file (must differ from every version's for the probe to catch it). */
  readonly corrupt: string;
  readonly computedAtMs: number;
}

export function knownAnswersFile(labDir: string): string {
  return join(labDir, 'known-answers.json');
}

export function writeKnownAnswers(labDir: string, answers: KnownAnswers): void {
  writeFileSync(knownAnswersFile(labDir), JSON.stringify(answers, null, 2));
}

/** The lab's known answers, or undefined when it has none (no llama.cpp clusters). */
export function readKnownAnswers(labDir: string): KnownAnswers | undefined {
  const file = knownAnswersFile(labDir);
  if (!existsSync(file)) return undefined;
  try {
    const data = JSON.parse(readFileSync(file, 'utf8')) as KnownAnswers;
    if (typeof data.versions !== 'object' || typeof data.corrupt !== 'string') throw new Error('missing versions or corrupt');
    return data;
  } catch (err) {
    throw new HalabError('STATE_CORRUPT', `${file}: not a known-answers file (${(err as Error).message})`, 'bring the lab up again (`halab down`, then `halab up`)');
  }
}
