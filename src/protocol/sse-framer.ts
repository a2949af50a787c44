// Incremental Server-Sent Events framing over Buffers: feed the upstream's chunks as they arrive
// (split anywhere) and get each complete event's data as bytes, without decoding the stream to
// text. An event of one `data:` line (every OpenAI-style chunk) is a view into the chunk that
// carried it, not a copy. Comments and other fields (event:, id:, retry:) are skipped.

const LF = 0x0a;
const CR = 0x0d;
const DATA = Buffer.from('data:');

export class SseFramer {
  /** Bytes after the last complete line, kept until the next chunk completes it. */
  private rest: Buffer | undefined;
  /** Data lines of the event being read. */
  private data: Buffer[] = [];

  /** Feeds a chunk; returns the data of every event it completed. */
  push(chunk: Buffer): Buffer[] {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    this.rest = undefined;
    const out: Buffer[] = [];
    let start = 0;
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl < 0) break;
      const end = nl > start && buf[nl - 1] === CR ? nl - 1 : nl;
      if (end === start) {
        if (this.data.length === 1) out.push(this.data[0]!);
        else if (this.data.length > 1) out.push(joinLines(this.data));
        this.data = [];
      } else if (end - start >= 5 && buf.compare(DATA, 0, 5, start, start + 5) === 0) {
        const from = buf[start + 5] === 0x20 ? start + 6 : start + 5;
        this.data.push(buf.subarray(from, end));
      }
      start = nl + 1;
    }
    if (start < buf.length) this.rest = Buffer.from(buf.subarray(start));
    // lines kept across chunks must not alias a chunk the caller may reuse
    if (this.data.length > 0) this.data = this.data.map((d) => Buffer.from(d));
    return out;
  }

  /** Data of an event left unterminated when the stream ended (a cut stream), if any. */
  flush(): Buffer[] {
    const out = this.push(Buffer.from('\n\n'));
    this.rest = undefined;
    this.data = [];
    return out;
  }
}

function joinLines(lines: readonly Buffer[]): Buffer {
  const parts: Buffer[] = [];
  lines.forEach((l, i) => {
    if (i > 0) parts.push(Buffer.from('\n'));
    parts.push(l);
  });
  return Buffer.concat(parts);
}

/** Whether an event's data is the stream terminator `[DONE]`. */
export function isDoneData(data: Buffer): boolean {
  return data.length === 6 && data.toString('latin1') === '[DONE]';
}
