// The canary judge and the green SLO check, pure. The canary is compared with the baseline on
// answer correctness (a wrong answer is a fact: deterministic answers), error rate (one-sided
// two-proportion z-test), and time to first token and inter-token latency (one-sided
// Mann-Whitney U, normal approximation); a difference counts only when it is both significant
// and material. Too few samples give no verdict rather than a guess.
import { errorFunction, median, wilcoxonRankSum } from 'simple-statistics';
import type { DeploySlo } from './rollout-config.js';
import type { GroupSamples, Sample } from './rollout-actions.js';
import { percentiles } from '../core/stats.js';

export type Verdict = 'worse' | 'ok' | 'undecided';

export interface JudgeResult {
  readonly verdict: Verdict;
  readonly reasons: readonly string[];
  readonly stats: Readonly<Record<string, number | null>>;
}

/** Upper tail of the standard normal, 1 − Φ(z) (simple-statistics' table stops at 0.999). */
function upperTail(z: number): number {
  return 0.5 * (1 - errorFunction(z / Math.SQRT2));
}

/** Accumulates windows of samples (the judge looks at everything seen so far). */
export function mergeGroups(a: GroupSamples | undefined, b: GroupSamples): GroupSamples {
  if (!a) return b;
  return {
    samples: [...a.samples, ...b.samples],
    trafficRequests: a.trafficRequests + b.trafficRequests,
    trafficErrors: a.trafficErrors + b.trafficErrors,
    healthy: b.healthy,
    ...(b.unhealthyReason ? { unhealthyReason: b.unhealthyReason } : {}),
  };
}

/** P(canary rate > baseline rate by chance): one-sided two-proportion z-test p-value. */
export function proportionTestP(errorsA: number, totalA: number, errorsB: number, totalB: number): number {
  if (totalA === 0 || totalB === 0) return 1;
  const pA = errorsA / totalA;
  const pB = errorsB / totalB;
  const pooled = (errorsA + errorsB) / (totalA + totalB);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / totalA + 1 / totalB));
  if (se === 0) return pA > pB ? 0 : 1;
  return upperTail((pA - pB) / se);
}

/** One-sided Mann-Whitney U p-value that values in `a` tend to be larger than in `b`. */
export function mannWhitneyGreaterP(a: readonly number[], b: readonly number[]): number {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) return 1;
  const w = wilcoxonRankSum([...a], [...b]);
  const u = w - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const sd = Math.sqrt((n1 * n2 * (n1 + n2 + 1)) / 12);
  if (sd === 0) return 1;
  return upperTail((u - mean - 0.5) / sd);
}

function values(samples: readonly Sample[], key: 'ttftMs' | 'itlMs'): number[] {
  return samples.filter((s) => s.ok && s.correct !== false && s[key] !== undefined).map((s) => s[key]!);
}

function errorsOf(g: GroupSamples): { errors: number; total: number } {
  const synthetic = g.samples.filter((s) => !s.ok).length;
  return { errors: synthetic + g.trafficErrors, total: g.samples.length + g.trafficRequests };
}

const round = (x: number): number => (Math.abs(x) < 0.001 && x !== 0 ? Number(x.toPrecision(2)) : Math.round(x * 1000) / 1000);

/** Canary against baseline over everything sampled so far. */
export function judgeCanary(canary: GroupSamples, baseline: GroupSamples, slo: DeploySlo): JudgeResult {
  const reasons: string[] = [];
  const wrong = canary.samples.filter((s) => s.correct === false).length;
  const baselineWrong = baseline.samples.filter((s) => s.correct === false).length;
  const ce = errorsOf(canary);
  const be = errorsOf(baseline);
  const errorP = proportionTestP(ce.errors, ce.total, be.errors, be.total);
  const ct = values(canary.samples, 'ttftMs');
  const bt = values(baseline.samples, 'ttftMs');
  const ci = values(canary.samples, 'itlMs');
  const bi = values(baseline.samples, 'itlMs');
  const ratio = (a: number[], b: number[]): number | null => (a.length && b.length && median(b) > 0 ? round(median(a) / median(b)) : null);
  const stats = {
    canarySamples: canary.samples.length,
    baselineSamples: baseline.samples.length,
    canaryWrong: wrong,
    canaryErrorRate: ce.total ? round(ce.errors / ce.total) : null,
    baselineErrorRate: be.total ? round(be.errors / be.total) : null,
    errorP: round(errorP),
    ttftRatio: ratio(ct, bt),
    ttftP: round(mannWhitneyGreaterP(ct, bt)),
    itlRatio: ratio(ci, bi),
    itlP: round(mannWhitneyGreaterP(ci, bi)),
  };
  if (!canary.healthy) reasons.push(`canary unhealthy: ${canary.unhealthyReason ?? 'health check failed'}`);
  if (wrong > baselineWrong) reasons.push(`${wrong} wrong answer(s) from the canary (baseline ${baselineWrong})`);
  if (ce.total >= slo.minSamples && errorP < slo.alpha && ce.errors / ce.total > slo.errorRateMax) {
    reasons.push(`error rate ${(stats.canaryErrorRate! * 100).toFixed(1)}% vs baseline ${((stats.baselineErrorRate ?? 0) * 100).toFixed(1)}% (p=${stats.errorP})`);
  }
  if (ct.length >= slo.minSamples && bt.length >= slo.minSamples && stats.ttftP < slo.alpha && (stats.ttftRatio ?? 0) > slo.latencyRatioMax) {
    reasons.push(`time to first token ${stats.ttftRatio}x the baseline's median (Mann-Whitney p=${stats.ttftP})`);
  }
  if (ci.length >= slo.minSamples && bi.length >= slo.minSamples && stats.itlP < slo.alpha && (stats.itlRatio ?? 0) > slo.latencyRatioMax) {
    reasons.push(`inter-token latency ${stats.itlRatio}x the baseline's median (Mann-Whitney p=${stats.itlP})`);
  }
  if (reasons.length > 0) return { verdict: 'worse', reasons, stats };
  const enough = canary.samples.length >= slo.minSamples && baseline.samples.length >= slo.minSamples;
  return { verdict: enough ? 'ok' : 'undecided', reasons: enough ? [] : [`${canary.samples.length}/${slo.minSamples} canary samples`], stats };
}

/**
 * A group's answers on their own (no baseline): healthy, no wrong answer, error rate within the
 * SLO — the rolling update's check of each updated replica, and the first half of green's.
 * `who` names the group in the reasons.
 */
export function judgeAnswers(group: GroupSamples, slo: DeploySlo, who: string): JudgeResult {
  const reasons: string[] = [];
  const wrong = group.samples.filter((s) => s.correct === false).length;
  const e = errorsOf(group);
  const stats = { samples: group.samples.length, wrong, errorRate: e.total ? round(e.errors / e.total) : null };
  if (!group.healthy) reasons.push(`${who} unhealthy: ${group.unhealthyReason ?? 'health check failed'}`);
  if (wrong > 0) reasons.push(`${wrong} wrong answer(s) from ${who}`);
  if (e.total >= slo.minSamples && e.errors / e.total > slo.errorRateMax) reasons.push(`${who} error rate ${(stats.errorRate! * 100).toFixed(1)}% > ${slo.errorRateMax * 100}%`);
  if (reasons.length > 0) return { verdict: 'worse', reasons, stats };
  return { verdict: group.samples.length >= slo.minSamples ? 'ok' : 'undecided', reasons: [], stats };
}

/** Green's SLO check at a traffic step: healthy, correct, error rate and latency p99 within bounds. */
export function judgeGreen(green: GroupSamples, slo: DeploySlo): JudgeResult {
  const answers = judgeAnswers(green, slo, 'green');
  const reasons = [...answers.reasons];
  const ttft = percentiles(values(green.samples, 'ttftMs')).p99;
  const itl = percentiles(values(green.samples, 'itlMs')).p99;
  const stats = { ...answers.stats, ttftP99Ms: ttft, itlP99Ms: itl };
  if (ttft !== null && ttft > slo.ttftP99MaxMs) reasons.push(`green TTFT p99 ${ttft}ms > ${slo.ttftP99MaxMs}ms`);
  if (itl !== null && itl > slo.itlP99MaxMs) reasons.push(`green inter-token p99 ${itl}ms > ${slo.itlP99MaxMs}ms`);
  if (reasons.length > 0) return { verdict: 'worse', reasons, stats };
  return { verdict: answers.verdict, reasons: [], stats };
}
