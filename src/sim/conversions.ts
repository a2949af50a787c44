// Conversions between availability, downtime per year and nines.
import { HalabError } from '../core/errors.js';

export const MINUTES_PER_YEAR = 365.25 * 24 * 60;
export const HOURS_PER_YEAR = 365.25 * 24;

/** Throws a USAGE error unless 0 <= a <= 1. */
export function checkAvailability(a: number, what = 'availability'): number {
  if (!Number.isFinite(a) || a < 0 || a > 1) throw new HalabError('USAGE', `${what} must be between 0 and 1, got ${a}`);
  return a;
}

export function downtimeMinutesPerYear(availability: number): number {
  return (1 - availability) * MINUTES_PER_YEAR;
}

/** Number of nines: 0.999 → 3, 0.9995 → 3.30; Infinity for 1. */
export function nines(availability: number): number {
  return availability >= 1 ? Infinity : -Math.log10(1 - availability);
}

export function availabilityFromNines(n: number): number {
  return 1 - 10 ** -n;
}

/** Percent with enough digits to tell nines apart: 99.99412%. */
export function formatPercent(a: number, digits = 5): string {
  return `${(a * 100).toFixed(digits)}%`;
}
