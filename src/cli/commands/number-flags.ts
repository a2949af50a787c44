// Numbers given in flags, checked where commander reads them: a flag whose value is not a number
// in its range is a USAGE error (exit 2) naming the flag and the value, never silently a default.
import { HalabError } from '../../core/errors.js';

export interface NumberRange {
  readonly min?: number;
  readonly max?: number;
  /** min is exclusive (a value must be greater). */
  readonly above?: number;
  readonly integer?: boolean;
}

function describeRange(r: NumberRange): string {
  const parts = [r.integer ? 'a whole number' : 'a number'];
  if (r.above !== undefined) parts.push(`greater than ${r.above}`);
  if (r.min !== undefined) parts.push(`at least ${r.min}`);
  if (r.max !== undefined) parts.push(`at most ${r.max}`);
  return parts.join(', ');
}

/** Parses `text` as the number `flag` takes; USAGE error naming the flag otherwise. */
export function parseNumberFlag(flag: string, text: string, range: NumberRange = {}): number {
  const trimmed = text.trim();
  const n = trimmed === '' ? NaN : Number(trimmed);
  const ok =
    Number.isFinite(n) &&
    (!range.integer || Number.isInteger(n)) &&
    (range.above === undefined || n > range.above) &&
    (range.min === undefined || n >= range.min) &&
    (range.max === undefined || n <= range.max);
  if (!ok) throw new HalabError('USAGE', `${flag} must be ${describeRange(range)}, not "${text}"`);
  return n;
}

/** A commander argument parser for `flag` (use as the third argument of .option()). */
export function numberFlag(flag: string, range: NumberRange = {}): (text: string) => number {
  return (text) => parseNumberFlag(flag, text, range);
}
