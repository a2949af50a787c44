// Recognises the one event a proxy sees dozens of times per answer — a chunk carrying one content
// token — in its bytes, without parsing it into objects: the token (as the upstream's own JSON
// string literal, to forward as is, and as text), the model version and the model name. Anything
// else (role, finish reason, usage, errors, the halab extension, several choices, an unusual
// shape, a string the scan cannot vouch for) returns undefined and is parsed in full by the caller.

// The event is read as a latin1 string (one char per byte, so string indices are byte offsets)
// and matched by one anchored pattern: the chunk as the lab's replicas, stand-ins and gateways
// write it (OpenAI's key order). One compiled regular expression is cheaper than JSON.parse, and
// far cheaper than parsing and then re-serialising. Other key orders are parsed in full.
const TOKEN_CHUNK = new RegExp(
  '^\\{"id":"[^"\\\\]*","object":"chat\\.completion\\.chunk","created":\\d+,"model":"([^"\\\\]*)",' +
    '"system_fingerprint":(?:"([^"\\\\]*)"|null),"choices":\\[\\{"index":0,"delta":\\{"content":"((?:[^"\\\\\\x00-\\x1f]|\\\\[^\\x00-\\x1f])+)"\\}' +
    '(?:,"logprobs":null)?,"finish_reason":null\\}\\]\\}$',
);
const NON_ASCII = /[\x80-\xff]/;
const DELTA_CONTENT = '"delta":{"content":"';

export interface TokenEvent {
  /** The token as the upstream's JSON string literal, quotes included (bytes to forward unchanged). */
  readonly literal: Buffer;
  readonly text: string;
  /** system_fingerprint (the model version), when the event has one. */
  readonly fingerprint: string | undefined;
  readonly model: string | undefined;
}

/** A captured string value as text: latin1 is the bytes; anything beyond ASCII is UTF-8 again. */
function utf8(latin1: string): string | undefined {
  if (!NON_ASCII.test(latin1)) return latin1;
  const text = Buffer.from(latin1, 'latin1').toString('utf8');
  // invalid UTF-8 would reach the client as bytes that differ from the text tracked for resuming
  return text.includes('\ufffd') ? undefined : text;
}

/** The event as one content token, or undefined when it is anything else (parse it in full). */
export function scanTokenEvent(data: Buffer): TokenEvent | undefined {
  if (data.length < 2 || data[0] !== 0x7b || data[data.length - 1] !== 0x7d) return undefined;
  const m = TOKEN_CHUNK.exec(data.toString('latin1'));
  if (!m) return undefined;
  const model = utf8(m[1]!);
  const fingerprint = m[2] === undefined ? null : utf8(m[2]);
  const raw = m[3]!;
  let text: string | undefined;
  if (raw.includes('\\')) {
    try {
      text = JSON.parse(Buffer.from(`"${raw}"`, 'latin1').toString('utf8')) as string;
    } catch {
      return undefined;
    }
    if (NON_ASCII.test(raw) && text.includes('\ufffd')) return undefined;
  } else text = utf8(raw);
  if (text === undefined || model === undefined || fingerprint === undefined) return undefined;
  // the first `"delta":{"content":"` is the structural one: the values before it hold no quote
  const open = m[0].indexOf(DELTA_CONTENT) + DELTA_CONTENT.length - 1;
  return { literal: data.subarray(open, open + raw.length + 2), text, fingerprint: fingerprint ?? undefined, model };
}
