// A seeded fuzzer of HTTP surfaces: raw requests (malformed paths, percent-encodings, methods,
// headers and bodies) written straight to a TCP socket, each answered by a status line or not.
import { connect } from 'node:net';
import { createRng, type Rng } from '../src/core/rng.js';

export interface FuzzCase {
  readonly label: string;
  readonly bytes: Buffer;
}

export interface FuzzAnswer {
  readonly label: string;
  /** Status of the answer's status line; undefined when the server closed without one or timed out. */
  readonly status?: number;
  readonly closedWithoutAnswer: boolean;
  readonly timedOut: boolean;
}

const METHODS = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS', 'TRACE', 'FOO', 'get'];
const ROUTES = ['/v1/chat/completions', '/v1/chat/completions/', '/v1/models', '/health', '/status', '/metrics', '/internal/config', '/internal/replicate', '/admin/mode', '/admin/gpu', '/admin/stats', '/info', '/slots', '/'];
const ODD_PATHS = [
  '/v1/chat/completions/%E0%A4%A',
  '/v1/chat/completions/%',
  '/v1/chat/completions/%zz',
  '/v1/chat/completions/%00',
  '/v1/chat/completions/%C0%AF..%2F..%2Fetc%2Fpasswd',
  '/v1/chat/completions/chatcmpl-%FF%FE',
  '/v1/chat/completions/' + 'a'.repeat(5000),
  '/v1/chat/completions?x=%E0%A4%A',
  '//v1//chat//completions',
  '/v1/chat/completions/../../internal/config',
  '/internal/config/%',
  '*',
  '/%2e%2e/%2e%2e',
  '/health?' + '&'.repeat(300),
];
const BODIES: (() => string)[] = [
  () => '',
  () => '{',
  () => 'null',
  () => '[]',
  () => '"x"',
  () => '{"messages":null}',
  () => '{"messages":[{"role":"user"}]}',
  () => '{"messages":[{"role":"user","content":"hi"}],"max_tokens":-1}',
  () => '{"messages":[{"role":"user","content":"hi"}],"max_tokens":"x","stream":"yes"}',
  () => '{"messages":[{"role":42,"content":{"a":1}}]}',
  () => '{"messages":[],"model":{}}',
  () => '{"keys":{"models/x":1}}',
  () => '{"records":"nope"}',
  () => '{"records":[{"id":"../../x"}]}',
  () => '{"mode":"nonsense"}',
  () => '{"xid":-1}',
  () => '['.repeat(2000) + ']'.repeat(2000),
  () => '{"a":' + '1'.repeat(400) + '}',
  () => '\u0000\u0001\u00ff\ud800',
  () => '{"messages":[{"role":"user","content":"hi"}],"max_tokens":2,"seed":1}',
];
const HEADERS: ((rng: Rng) => string)[] = [
  () => 'x-halab-completion-id: chatcmpl-victim',
  () => 'x-halab-auth: v1.Z2xi.AAAA',
  () => 'x-halab-auth: ' + 'v1.'.repeat(500),
  () => 'x-halab-client-region: \u00ff\u00fe',
  () => 'authorization: Bearer',
  () => 'authorization: Basic %%%',
  () => 'content-type: application/json; charset=%%%',
  () => 'x-junk-' + 'h'.repeat(200) + ': ' + 'v'.repeat(2000),
  () => 'accept: */*',
  (rng) => `x-fuzz: ${Array.from({ length: rng.int(1, 40) }, () => String.fromCharCode(rng.int(0x20, 0x7e))).join('')}`,
];

/** `count` raw requests for `host:port`, the same for the same seed. */
export function fuzzCases(seed: number, count: number, host: string): FuzzCase[] {
  const rng = createRng(seed).fork('http-fuzz');
  const cases: FuzzCase[] = [];
  for (let i = 0; i < count; i++) {
    const method = rng.pick(METHODS);
    const path = rng.next() < 0.5 ? rng.pick(ODD_PATHS) : rng.pick(ROUTES);
    const body = rng.next() < 0.6 ? rng.pick(BODIES)() : '';
    const bodyBytes = Buffer.from(body, 'utf8');
    const headers = [`Host: ${host}`, 'Connection: close'];
    for (let h = rng.int(0, 3); h > 0; h--) headers.push(rng.pick(HEADERS)(rng));
    const framing = rng.int(0, 9);
    let tail: Buffer;
    if (framing === 0) {
      // chunked framing with a malformed chunk size
      headers.push('Transfer-Encoding: chunked');
      tail = Buffer.from(`zz\r\n${body}\r\n0\r\n\r\n`);
    } else if (framing === 1) {
      // two conflicting lengths
      headers.push(`Content-Length: ${bodyBytes.length}`, `Content-Length: ${bodyBytes.length + 5}`);
      tail = bodyBytes;
    } else if (framing === 2) {
      // a broken request line
      cases.push({ label: `#${i} broken request line`, bytes: Buffer.from(`${method} ${path}\r\n\r\n`) });
      continue;
    } else if (framing === 3) {
      headers.push(`Content-Length: ${bodyBytes.length}`, 'Bad Header Without Colon');
      tail = bodyBytes;
    } else {
      headers.push(`Content-Length: ${bodyBytes.length}`);
      tail = bodyBytes;
    }
    const head = Buffer.from(`${method} ${path} HTTP/1.1\r\n${headers.join('\r\n')}\r\n\r\n`, 'latin1');
    cases.push({ label: `#${i} ${method} ${path.slice(0, 60)} framing ${framing}`, bytes: Buffer.concat([head, tail]) });
  }
  return cases;
}

/** Sends one raw request and resolves with the answer's status (the first status line), bounded by timeoutMs. */
export function sendRaw(host: string, port: number, c: FuzzCase, timeoutMs: number): Promise<FuzzAnswer> {
  return new Promise((resolve) => {
    const socket = connect(port, host);
    let buffered = '';
    let settled = false;
    const settle = (a: Omit<FuzzAnswer, 'label'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ label: c.label, ...a });
    };
    const timer = setTimeout(() => settle({ closedWithoutAnswer: false, timedOut: true }), timeoutMs);
    socket.on('connect', () => socket.write(c.bytes));
    socket.on('data', (b: Buffer) => {
      buffered += b.toString('latin1');
      const m = /^HTTP\/1\.[01] (\d{3}) /.exec(buffered);
      if (m) settle({ status: Number(m[1]), closedWithoutAnswer: false, timedOut: false });
      else if (buffered.length > 64 || buffered.includes('\r\n')) settle({ closedWithoutAnswer: false, timedOut: false });
    });
    socket.on('error', () => settle({ closedWithoutAnswer: true, timedOut: false }));
    socket.on('close', () => settle({ closedWithoutAnswer: true, timedOut: false }));
  });
}
