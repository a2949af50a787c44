// Durations as people write them in files and flags: "250ms", "10s", "2m", "1h", or a number of ms.
import { HalabError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** The longest duration any file or flag may give: 366 days (longer ones are refused, exit 2). */
export const MAX_DURATION_MS = 366 * 86_400_000;

function bounded(ms: number, text: string | number): number {
  if (ms > MAX_DURATION_MS) throw new HalabError('USAGE', `invalid duration ${JSON.stringify(text)}: at most 366d`);
  return ms;
}

/** Parses a duration into milliseconds (0 to MAX_DURATION_MS); throws a USAGE error naming the bad text. */
export function parseDurationMs(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new HalabError('USAGE', `invalid duration ${text}: expected a non-negative number of ms`);
    return bounded(text, text);
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new HalabError('USAGE', `invalid duration "${text}": expected e.g. 500ms, 10s, 2m, 1h, 3d`);
  return bounded(Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!, text);
}

/** A duration flag that must be positive (an interval, a window): USAGE naming the flag otherwise. */
export function parsePositiveDurationMs(text: string, flag: string): number {
  let ms: number;
  try {
    ms = parseDurationMs(text);
  } catch (err) {
    throw new HalabError('USAGE', `${flag}: ${(err as Error).message}`);
  }
  if (!(ms > 0)) throw new HalabError('USAGE', `${flag} must be longer than 0, got "${text}"`);
  return ms;
}

/** Formats milliseconds for people: 850ms, 4.2s, 3m12s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}
