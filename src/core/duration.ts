// Durations as people write them in files and flags: "250ms", "10s", "2m", "1h", or a number of ms.
import { HalabError } from './errors.js';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parses a duration into milliseconds; throws a USAGE error naming the bad text. */
export function parseDurationMs(text: string | number): number {
  if (typeof text === 'number') {
    if (!Number.isFinite(text) || text < 0) throw new HalabError('USAGE', `invalid duration ${text}: expected a non-negative number of ms`);
    return text;
  }
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(text);
  if (!match) throw new HalabError('USAGE', `invalid duration "${text}": expected e.g. 500ms, 10s, 2m, 1h`);
  return Number(match[1]) * UNIT_MS[match[2] ?? 'ms']!;
}

/** Formats milliseconds for people: 850ms, 4.2s, 3m12s. */
export function formatMs(ms: number): string {
  if (!Number.isFinite(ms)) return String(ms);
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m${Math.round((ms % 60_000) / 1000)}s`;
}
