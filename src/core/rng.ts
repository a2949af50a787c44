// The one seeded random source. Every random choice (fault schedules, token streams' lengths,
// simulator draws) comes from an Rng derived from the run's seed, so a seed replays a run.
import seedrandom from 'seedrandom';

export interface Rng {
  /** Uniform in [0, 1). */
  next(): number;
  /** Uniform integer in [minInclusive, maxInclusive]. */
  int(minInclusive: number, maxInclusive: number): number;
  /** Uniform in [min, max). */
  uniform(min: number, max: number): number;
  /** One element, uniformly. Throws on an empty array. */
  pick<T>(items: readonly T[]): T;
  /** Exponentially distributed with the given mean. */
  exponential(mean: number): number;
  /** An independent stream derived from this seed and a label (stable across runs). */
  fork(label: string): Rng;
}

class SeededRng implements Rng {
  private readonly prng: seedrandom.PRNG;

  constructor(private readonly seed: string) {
    this.prng = seedrandom(seed);
  }

  next(): number {
    return this.prng.double();
  }

  int(minInclusive: number, maxInclusive: number): number {
    return minInclusive + Math.floor(this.next() * (maxInclusive - minInclusive + 1));
  }

  uniform(min: number, max: number): number {
    return min + this.next() * (max - min);
  }

  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError('pick from an empty list');
    return items[Math.floor(this.next() * items.length)]!;
  }

  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  fork(label: string): Rng {
    return new SeededRng(`${this.seed}/${label}`);
  }
}

/** An Rng for a seed (numbers and strings give the same stream for the same text). */
export function createRng(seed: number | string): Rng {
  return new SeededRng(String(seed));
}
