// One-sided statistical tests for the regression gate: Mann-Whitney U (exact for small samples
// without ties, normal approximation with tie and continuity correction otherwise), an exact
// conditional binomial test comparing two event rates (rare failures per request), and Student's
// t quantile for prediction limits from a few baseline runs. Pure functions, no dependencies.

/** Complementary error function; fractional error below 1.2e-7 everywhere (Numerical Recipes erfcc). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const ans =
    t *
    Math.exp(
      -z * z - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? ans : 2 - ans;
}

/** P(Z > z) for a standard normal Z. */
export function normalUpperTail(z: number): number {
  return 0.5 * erfc(z / Math.SQRT2);
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7). */
export function logGamma(x: number): number {
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const xx = x - 1;
  let a = c[0]!;
  const t = xx + 7.5;
  for (let i = 1; i < 9; i++) a += c[i]! / (xx + i);
  return 0.5 * Math.log(2 * Math.PI) + (xx + 0.5) * Math.log(t) - t + Math.log(a);
}

/** P(X >= k) for X ~ Binomial(n, p). */
export function binomialUpperTail(k: number, n: number, p: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  if (p <= 0) return 0;
  if (p >= 1) return 1;
  let sum = 0;
  for (let i = k; i <= n; i++) {
    sum += Math.exp(logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(p) + (n - i) * Math.log1p(-p));
  }
  return Math.min(1, sum);
}

/**
 * Exact one-sided test that events (failed requests, say) are more frequent now than in the
 * baseline: `countNow` events in `exposureNow` trials against `countBase` in `exposureBase`.
 * Conditional on the total count, the count now is Binomial(total, exposureNow / (both)) when the
 * rates are equal (the conditional test for two Poisson rates; Fisher's exact test for rare events).
 */
export function rateIncreaseTest(countNow: number, exposureNow: number, countBase: number, exposureBase: number): number {
  if (exposureNow <= 0 || exposureBase <= 0) return 1;
  return binomialUpperTail(countNow, countNow + countBase, exposureNow / (exposureNow + exposureBase));
}

export interface MannWhitney {
  /** U of the `now` sample: pairs (now, base) with now > base, ties counted 1/2. */
  readonly u: number;
  /** P(U >= u) under H0 (the two samples come from one distribution). */
  readonly p: number;
  readonly method: 'exact' | 'normal';
}

const EXACT_MAX_PAIRS = 2500;

/** Number of arrangements giving each U for sample sizes (m, n), indexed by U (0..m·n). */
function exactUCounts(m: number, n: number): number[] {
  // f[i][j][u]: ways for sizes (i, j); f(i,j,u) = f(i-1,j,u-j) + f(i,j-1,u)
  let prev: number[][] = Array.from({ length: n + 1 }, () => [1]); // i = 0: only U = 0
  for (let i = 1; i <= m; i++) {
    const cur: number[][] = [];
    cur[0] = [1];
    for (let j = 1; j <= n; j++) {
      const size = i * j + 1;
      const row = new Array<number>(size).fill(0);
      const a = prev[j]!; // (i-1, j), shifted by j
      const b = cur[j - 1]!; // (i, j-1)
      for (let u = 0; u < a.length; u++) row[u + j] = row[u + j]! + a[u]!;
      for (let u = 0; u < b.length; u++) row[u] = row[u]! + b[u]!;
      cur[j] = row;
    }
    prev = cur;
  }
  return prev[n]!;
}

/** One-sided Mann-Whitney U test that `now` tends to be larger than `base`. */
export function mannWhitneyGreater(now: readonly number[], base: readonly number[]): MannWhitney {
  const m = now.length;
  const n = base.length;
  if (m === 0 || n === 0) return { u: 0, p: 1, method: 'normal' };
  const all = [...now.map((v) => ({ v, now: true })), ...base.map((v) => ({ v, now: false }))].sort((a, b) => a.v - b.v);
  let rankSumNow = 0;
  let tieTerm = 0;
  for (let i = 0; i < all.length; ) {
    let j = i;
    while (j + 1 < all.length && all[j + 1]!.v === all[i]!.v) j++;
    const t = j - i + 1;
    const rank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) if (all[k]!.now) rankSumNow += rank;
    tieTerm += t * t * t - t;
    i = j + 1;
  }
  const u = rankSumNow - (m * (m + 1)) / 2;
  if (tieTerm === 0 && m * n <= EXACT_MAX_PAIRS) {
    const counts = exactUCounts(m, n);
    const total = counts.reduce((s, c) => s + c, 0);
    let tail = 0;
    for (let k = Math.ceil(u); k < counts.length; k++) tail += counts[k]!;
    return { u, p: Math.min(1, tail / total), method: 'exact' };
  }
  const big = m + n;
  const variance = ((m * n) / 12) * (big + 1 - tieTerm / (big * (big - 1)));
  if (variance <= 0) return { u, p: 1, method: 'normal' };
  const z = (u - (m * n) / 2 - 0.5) / Math.sqrt(variance);
  return { u, p: normalUpperTail(z), method: 'normal' };
}

/** Regularized incomplete beta I_x(a, b) (continued fraction, Numerical Recipes betacf). */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log1p(-x));
  if (x > (a + 1) / (a + b + 2)) return 1 - incompleteBeta(1 - x, b, a);
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let k = 1; k <= 300; k++) {
    const m2 = 2 * k;
    let aa = (k * (b - k) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + k) * (a + b + k) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-14) break;
  }
  return (front * h) / a;
}

/** P(T <= t) for Student's t with `df` degrees of freedom. */
export function studentTCdf(t: number, df: number): number {
  const x = df / (df + t * t);
  const tail = 0.5 * incompleteBeta(x, df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The t with P(T <= t) = q (0 < q < 1), by bisection on the CDF. */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`quantile must be in (0, 1), not ${q}`);
  let lo = -1e4;
  let hi = 1e4;
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Factor k of the one-sided (1 − α) prediction limit mean + k·sd for the mean of `future` new
 * observations, from `n` baseline observations with sample sd (normal model):
 * k = t(1 − α, n − 1) · √(1/future + 1/n). Needs n ≥ 2.
 */
export function predictionFactor(alpha: number, n: number, future = 1): number {
  if (n < 2) throw new RangeError('a prediction limit needs at least 2 baseline observations');
  return studentTQuantile(1 - alpha, n - 1) * Math.sqrt(1 / future + 1 / n);
}
