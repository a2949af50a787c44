import { describe, expect, it } from 'vitest';
import { K6_EXIT, k6ExitKind, k6ThresholdsCheck, parseK6Summary } from './k6-exit.js';

// The shape of k6's handleSummary data (trimmed), as k6 v1 writes it.
const summary = {
  metrics: {
    halab_ttft: { type: 'trend', values: { 'p(99)': 40 }, thresholds: { 'p(99)<=1': { ok: false } } },
    halab_complete: { type: 'rate', values: { rate: 1 }, thresholds: { 'rate>=0.999': { ok: true } } },
    dropped_iterations: { type: 'counter', values: { count: 3, rate: 0.2 } },
    http_reqs: { type: 'counter', values: { count: 100 } },
  },
};

describe('k6 exit codes', () => {
  it('maps 0, 99, 105 / SIGINT and anything else', () => {
    expect(k6ExitKind(0)).toBe('pass');
    expect(k6ExitKind(K6_EXIT.thresholdsFailed)).toBe('thresholds-failed');
    expect(k6ExitKind(99)).toBe('thresholds-failed');
    expect(k6ExitKind(105)).toBe('interrupted');
    expect(k6ExitKind(null, 'SIGINT')).toBe('interrupted');
    expect(k6ExitKind(107)).toBe('error');
    expect(k6ExitKind(null, 'SIGKILL')).toBe('error');
  });

  it('reads failed thresholds and dropped iterations from the summary', () => {
    expect(parseK6Summary(summary)).toEqual({ failedThresholds: ['halab_ttft: p(99)<=1'], thresholds: 2, droppedIterations: 3 });
    expect(parseK6Summary({})).toEqual({ failedThresholds: [], thresholds: 0, droppedIterations: 0 });
    expect(parseK6Summary(null)).toEqual({ failedThresholds: [], thresholds: 0, droppedIterations: 0 });
  });

  it('gives a k6Thresholds check that fails on 99 and names the threshold', () => {
    const failed = k6ThresholdsCheck({ exitCode: 99, ...parseK6Summary(summary) });
    expect(failed).toMatchObject({ name: 'k6Thresholds', actual: 99, pass: false });
    expect(failed.detail).toBe('k6 exited 99: halab_ttft: p(99)<=1');
    const ok = k6ThresholdsCheck({ exitCode: 0, failedThresholds: [], thresholds: 2, droppedIterations: 0 });
    expect(ok).toEqual({ name: 'k6Thresholds', target: 'k6 exit 0 (2 thresholds met)', actual: 0, pass: true });
    expect(k6ThresholdsCheck({ exitCode: 107, failedThresholds: [], thresholds: 0, droppedIterations: 0 })).toMatchObject({ pass: false, detail: 'k6 ended with exit code 107' });
    expect(k6ThresholdsCheck({ exitCode: null, signal: 'SIGINT', failedThresholds: [], thresholds: 0, droppedIterations: 0 })).toMatchObject({ pass: false, detail: 'k6 was interrupted before the end' });
  });
});
