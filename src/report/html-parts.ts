// Small pieces shared by the parts of report.html: escaping, tables, and figure formatting.

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A duration in ms for a table cell; '–' when there is none. */
export const ms = (v: number | null | undefined): string => (v === null || v === undefined ? '–' : `${v} ms`);

export function table(head: readonly string[], rows: readonly (readonly (string | number)[])[], rowClass?: (i: number) => string): string {
  return `<table><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${rows
    .map((r, i) => `<tr${rowClass ? ` class="${rowClass(i)}"` : ''}>${r.map((c) => `<td>${esc(String(c))}</td>`).join('')}</tr>`)
    .join('')}</tbody></table>`;
}
