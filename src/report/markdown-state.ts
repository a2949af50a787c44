// report.md's "Durable state" section: leader change, restore time, RPO and every lost write.
import type { RunReport } from './run-report.js';

export function stateMarkdown(r: RunReport): string[] {
  const m = r.metrics;
  if (m.leaderChangeMs === undefined && m.restoreMs === undefined && !m.storedWrites) return [];
  const out = ['## Durable state', ''];
  if (m.leaderChangeMs !== undefined) out.push(`- Control-plane leader change: **${m.leaderChangeMs ?? 'no new leader'}${m.leaderChangeMs === null ? '' : ' ms'}** (${(m.leaderChanges ?? []).map((c) => `${c.faultId} → ${c.newLeader ?? 'none'}`).join(', ')})`);
  if (m.restoreMs !== undefined) out.push(`- Restore from backup: **${m.restoreMs ?? 'did not finish'}${m.restoreMs === null ? '' : ' ms'}** from the disaster to a restored control plane serving`);
  if (m.storedWrites) {
    const w = m.storedWrites;
    out.push(`- Stored completions: ${w.acknowledged} acknowledged, ${w.readBack} read back from ${w.readFrom}, **${m.lostWrites} lost**; **RPO ${m.rpoMs} ms**`);
    if (w.lost.length) {
      out.push('', '| lost write | request | written in | acknowledged before the failure |', '| --- | --- | --- | --- |');
      for (const l of w.lost) out.push(`| ${l.storedId} | ${l.requestId} | ${l.writtenIn ?? '?'} | ${l.beforeFailureMs ?? '?'} ms |`);
    }
  }
  out.push('');
  return out;
}
