import { describe, expect, it } from 'vitest';
import { fidelityTable, type FidelityFigures } from './fidelity.js';

const fault = (kind: string, detectionMs: number | null, failed = 0) => ({ kind, target: 'r/c/0', detectionMs, failoverMs: detectionMs === null ? null : detectionMs + 5, worstTtftMs: 900, failed, truncated: 0, resumed: 1 });
const run = (scenario: string, faults: FidelityFigures['faults'], over: Partial<FidelityFigures> = {}): FidelityFigures => ({ scenario, faults, ttftP99Ms: 1234.4, failed: 0, truncated: 0, deployMs: 8000, pass: true, ...over });

describe('the fidelity table', () => {
  it('puts each fault of the two runs side by side, and the whole-run figures', () => {
    const t = fidelityTable(run('real', [fault('replica.crash', 381), fault('replica.hang', 1502, 2)], { failed: 2, pass: false }), run('standin', [fault('replica.crash', 120), fault('replica.hang', null)]));
    expect(t).toContain('Fidelity: real / standin');
    expect(t).toContain('| replica.crash r/c/0 | 381 / 120 | 386 / 125 | 900 / 900 | 0/0 / 0/0 | 1 / 1 |');
    expect(t).toContain('| replica.hang r/c/0 | 1502 / - | 1507 / - | 900 / 900 | 2/0 / 0/0 | 1 / 1 |');
    expect(t).toContain('| whole run | TTFT p99 1234 / 1234 | rolling deploy 8000 / 8000 | | 2/0 / 0/0 | verdict FAIL / pass |');
  });

  it('marks a fault only one run has (its injection failed on the other), and refuses runs that share none', () => {
    const t = fidelityTable(run('a', [fault('replica.crash', 1), fault('replica.hang', 7)]), run('b', [fault('replica.crash', 2)]));
    expect(t).toContain('| replica.hang r/c/0 | 7 / not injected |');
    expect(() => fidelityTable(run('a', [fault('replica.crash', 1)]), run('b', [fault('replica.hang', 1)]))).toThrow(/share no fault/);
  });
});
