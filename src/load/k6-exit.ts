// k6's exit code and end-of-test summary → what the run's verdict says about them. k6 exits 99
// when a threshold failed (errext/exitcodes); that is a missed target, not a broken run: the
// records are complete and the report carries a failing `k6Thresholds` check. Pure.
import type { Check } from '../record/check.js';

/** k6 exit codes the driver distinguishes (go.k6.io/k6 errext/exitcodes). */
export const K6_EXIT = { ok: 0, thresholdsFailed: 99, externalAbort: 105, scriptException: 107, invalidConfig: 104 } as const;

/** What one k6 run ended with, as stored in meta.json (so `halab report` recomputes the check). */
export interface K6Result {
  readonly exitCode: number | null;
  /** Signal that ended k6, when one did. */
  readonly signal?: string;
  /** Thresholds k6 reported as failed, "metric: expression". */
  readonly failedThresholds: readonly string[];
  /** Thresholds the run had. */
  readonly thresholds: number;
  /** Iterations k6 could not start because no VU was free (the client, not the service, was full). */
  readonly droppedIterations: number;
  readonly version?: string;
}

export type K6ExitKind = 'pass' | 'thresholds-failed' | 'interrupted' | 'error';

export function k6ExitKind(exitCode: number | null, signal?: string): K6ExitKind {
  if (exitCode === K6_EXIT.ok) return 'pass';
  if (exitCode === K6_EXIT.thresholdsFailed) return 'thresholds-failed';
  if (exitCode === K6_EXIT.externalAbort || signal === 'SIGINT' || signal === 'SIGTERM') return 'interrupted';
  return 'error';
}

interface SummaryMetric {
  readonly values?: Record<string, number>;
  readonly thresholds?: Record<string, { readonly ok: boolean }>;
}

/** Failed thresholds, threshold count and dropped iterations from k6's handleSummary data. */
export function parseK6Summary(summary: unknown): { failedThresholds: string[]; thresholds: number; droppedIterations: number } {
  const metrics = ((summary as { metrics?: Record<string, SummaryMetric> } | null)?.metrics ?? {}) as Record<string, SummaryMetric>;
  const failedThresholds: string[] = [];
  let thresholds = 0;
  for (const [name, m] of Object.entries(metrics)) {
    for (const [expr, t] of Object.entries(m.thresholds ?? {})) {
      thresholds += 1;
      if (!t.ok) failedThresholds.push(`${name}: ${expr}`);
    }
  }
  return { failedThresholds: failedThresholds.sort(), thresholds, droppedIterations: metrics.dropped_iterations?.values?.count ?? 0 };
}

/** The verdict's `k6Thresholds` check: passes only when k6 exited 0. */
export function k6ThresholdsCheck(r: K6Result): Check {
  const kind = k6ExitKind(r.exitCode, r.signal);
  const detail =
    kind === 'thresholds-failed'
      ? `k6 exited 99: ${r.failedThresholds.join('; ') || 'thresholds failed'}`
      : kind === 'interrupted'
        ? 'k6 was interrupted before the end'
        : kind === 'error'
          ? `k6 ended with ${r.exitCode !== null ? `exit code ${r.exitCode}` : `signal ${r.signal ?? 'unknown'}`}`
          : undefined;
  return {
    name: 'k6Thresholds',
    target: `k6 exit 0 (${r.thresholds} threshold${r.thresholds === 1 ? '' : 's'} met)`,
    actual: r.exitCode,
    pass: kind === 'pass',
    ...(detail ? { detail } : {}),
  };
}
