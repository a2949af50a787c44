// Authentication between lab components: each component proves an identity (`controlplane`,
// `gateway/<region>`, `glb`, `replica/<id>`, `cli`) with a token HMAC-SHA256(lab secret, identity),
// sent in gRPC metadata and in an HTTP header. The lab secret is created by `halab up` in the lab
// directory (mode 0600); a process that holds it verifies any token. A process's own credentials
// are set once at start (`useLabAuth`); with none set, servers answer everyone (not in a lab).
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

/** gRPC metadata key and HTTP header carrying a component's token. */
export const AUTH_HEADER = 'x-halab-auth';
/** Metadata key the server-side check sets to the verified caller identity (a client's own value is replaced). */
export const CALLER_KEY = 'x-halab-caller';

const TOKEN_VERSION = 'v1';
const MAC_CONTEXT = 'halab/v1/component\0';

export interface LabAuth {
  readonly identity: string;
  /** This component's token. */
  readonly token: string;
  /** The identity a token proves, or undefined when it proves none. */
  verify(token: string | undefined): string | undefined;
}

function mac(secret: Buffer, identity: string): Buffer {
  return createHmac('sha256', secret).update(MAC_CONTEXT).update(identity).digest();
}

/** Token of `identity` under `secret`: `v1.<base64url identity>.<base64url mac>`. */
export function mintToken(secret: Buffer, identity: string): string {
  return `${TOKEN_VERSION}.${Buffer.from(identity).toString('base64url')}.${mac(secret, identity).toString('base64url')}`;
}

/** The identity `token` proves under `secret` (constant-time comparison), or undefined. */
export function verifyToken(secret: Buffer, token: string | undefined): string | undefined {
  if (typeof token !== 'string' || token.length > 1024) return undefined;
  const [version, id64, mac64, extra] = token.split('.');
  if (version !== TOKEN_VERSION || !id64 || !mac64 || extra !== undefined) return undefined;
  const identity = Buffer.from(id64, 'base64url').toString('utf8');
  const given = Buffer.from(mac64, 'base64url');
  const expected = mac(secret, identity);
  return given.length === expected.length && timingSafeEqual(given, expected) ? identity : undefined;
}

/** Tokens already verified, so a caller's every call costs a lookup, not an HMAC (only valid tokens enter). */
const VERIFIED_CACHE_MAX = 1024;

export function labAuthFrom(secret: Buffer, identity: string): LabAuth {
  const token = mintToken(secret, identity);
  const verified = new Map<string, string>();
  return {
    identity,
    token,
    verify(t) {
      if (t === undefined) return undefined;
      const known = verified.get(t);
      if (known !== undefined) return known;
      const id = verifyToken(secret, t);
      if (id !== undefined && verified.size < VERIFIED_CACHE_MAX) verified.set(t, id);
      return id;
    },
  };
}

let provider: (() => LabAuth | undefined) | undefined;

/** Sets this process's credentials (or a function that finds them when needed, e.g. the CLI's). */
export function useLabAuth(auth: LabAuth | (() => LabAuth | undefined) | undefined): void {
  provider = typeof auth === 'function' ? auth : auth ? () => auth : undefined;
}

/** This process's credentials, when it has some. */
export function currentLabAuth(): LabAuth | undefined {
  return provider?.();
}

/** Identity of a replica's own agent and registration. */
export function replicaIdentity(replicaId: string): string {
  return `replica/${replicaId}`;
}

/** SHA-256 (hex) of an API key, as stored with a completion. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

/** Whether two hex hashes are equal, in constant time. */
export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
