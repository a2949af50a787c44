// Recognises the one event a proxy sees dozens of times per answer — a chunk carrying one content
// token — in its bytes, without parsing it into objects: the token (as the upstream's own JSON
// string literal, to forward as is, and as text), the model version and the model name. Anything
// else (role, finish reason, usage, errors, the halab extension, several choices, an unusual
// shape, a string the scan cannot vouch for) returns undefined and is parsed in full by the caller.

const DELTA = Buffer.from('"delta":');
const DELTA_CONTENT = Buffer.from('"delta":{"content":"');
const FINISH_NULL = Buffer.from('"finish_reason":null');
const FINISH_SET = Buffer.from('"finish_reason":"');
const USAGE_OBJECT = Buffer.from('"usage":{');
const ERROR = Buffer.from('"error"');
const HALAB = Buffer.from('"halab"');
const FINGERPRINT = Buffer.from('"system_fingerprint":');
const MODEL = Buffer.from('"model":');

export interface TokenEvent {
  /** The token as the upstream's JSON string literal, quotes included (bytes to forward unchanged). */
  readonly literal: Buffer;
  readonly text: string;
  /** system_fingerprint (the model version), when the event has one. */
  readonly fingerprint: string | undefined;
  readonly model: string | undefined;
}

/** End (index of the closing quote) of the JSON string literal opening at `open`, and what it holds; undefined if invalid. */
function scanString(data: Buffer, open: number): { close: number; escaped: boolean; ascii: boolean } | undefined {
  let escaped = false;
  let ascii = true;
  for (let i = open + 1; i < data.length; i++) {
    const b = data[i]!;
    if (b === 0x22) return { close: i, escaped, ascii };
    if (b === 0x5c) {
      escaped = true;
      i += 1;
    } else if (b < 0x20) return undefined;
    else if (b >= 0x80) ascii = false;
  }
  return undefined;
}

/** The text of a JSON string literal spanning [open, close], or undefined when it is not clean. */
function literalText(data: Buffer, open: number, s: { close: number; escaped: boolean; ascii: boolean }): string | undefined {
  let text: string;
  if (!s.escaped) text = data.toString(s.ascii ? 'latin1' : 'utf8', open + 1, s.close);
  else {
    try {
      text = JSON.parse(data.toString('utf8', open, s.close + 1)) as string;
    } catch {
      return undefined;
    }
  }
  // invalid UTF-8 would reach the client as bytes that differ from the text tracked for resuming
  return !s.ascii && text.includes('\ufffd') ? undefined : text;
}

/** A top-level string (or null) field's value; `null` when the field is absent or null; undefined when unreadable. */
function stringField(data: Buffer, key: Buffer): string | null | undefined {
  const k = data.indexOf(key);
  if (k < 0) return null;
  const v = k + key.length;
  if (data[v] === 0x6e) return data.toString('latin1', v, v + 4) === 'null' ? null : undefined;
  if (data[v] !== 0x22) return undefined;
  const s = scanString(data, v);
  if (!s || s.escaped) return undefined;
  return literalText(data, v, s);
}

/** The event as one content token, or undefined when it is anything else (parse it in full). */
export function scanTokenEvent(data: Buffer): TokenEvent | undefined {
  if (data.length < 2 || data[0] !== 0x7b || data[data.length - 1] !== 0x7d) return undefined;
  const at = data.indexOf(DELTA_CONTENT);
  if (at < 0 || data.indexOf(DELTA) !== at || data.indexOf(DELTA, at + DELTA.length) >= 0) return undefined;
  const open = at + DELTA_CONTENT.length - 1;
  const s = scanString(data, open);
  // the delta holds the content only, and it is not empty
  if (!s || s.close === open + 1 || data[s.close + 1] !== 0x7d) return undefined;
  if (data.indexOf(FINISH_NULL) < 0 || data.indexOf(FINISH_SET) >= 0) return undefined;
  if (data.indexOf(USAGE_OBJECT) >= 0 || data.indexOf(ERROR) >= 0 || data.indexOf(HALAB) >= 0) return undefined;
  const text = literalText(data, open, s);
  if (text === undefined) return undefined;
  const fingerprint = stringField(data, FINGERPRINT);
  const model = stringField(data, MODEL);
  if (fingerprint === undefined || model === undefined) return undefined;
  return { literal: data.subarray(open, s.close + 1), text, fingerprint: fingerprint ?? undefined, model: model ?? undefined };
}
