// The lab secret: 32 random bytes in <lab dir>/secret, mode 0600, created by `halab up` (and `halab
// run`) before any component starts; every lab process derives its token from it (protocol/lab-auth).
import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, existsSync, openSync, readFileSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { HalabError } from '../core/errors.js';
import { labAuthFrom, type LabAuth } from '../protocol/lab-auth.js';

export const LAB_SECRET_BYTES = 32;

export function labSecretFile(labDir: string): string {
  return join(labDir, 'secret');
}

/** Creates the lab secret (owner-only) unless it exists; returns it. */
export function ensureLabSecret(labDir: string): Buffer {
  const file = labSecretFile(labDir);
  if (!existsSync(file)) {
    const fd = openSync(file, 'wx', 0o600);
    try {
      writeSync(fd, randomBytes(LAB_SECRET_BYTES).toString('hex'));
    } finally {
      closeSync(fd);
    }
  }
  chmodSync(file, 0o600);
  return readLabSecret(labDir);
}

/** Reads the lab secret; refuses a missing, short or group/world-readable one. */
export function readLabSecret(labDir: string): Buffer {
  const file = labSecretFile(labDir);
  if (!existsSync(file)) throw new HalabError('LAB_NOT_RUNNING', `no lab secret at ${file}`, 'start the lab with `halab up` (it creates the secret)');
  if ((statSync(file).mode & 0o077) !== 0) throw new HalabError('USAGE', `${file} is readable by others (mode ${(statSync(file).mode & 0o777).toString(8)})`, `chmod 600 ${file}`);
  const secret = Buffer.from(readFileSync(file, 'utf8').trim(), 'hex');
  if (secret.length < 16) throw new HalabError('USAGE', `${file} does not hold a lab secret (expected ${LAB_SECRET_BYTES} hex-encoded bytes)`);
  return secret;
}

/** This component's credentials in the lab at labDir. */
export function loadLabAuth(labDir: string, identity: string): LabAuth {
  return labAuthFrom(readLabSecret(labDir), identity);
}

/** The CLI's credentials for the lab at labDir, read when needed (undefined while no lab secret exists). */
export function cliLabAuth(labDir: string): () => LabAuth | undefined {
  return () => (existsSync(labSecretFile(labDir)) ? loadLabAuth(labDir, 'cli') : undefined);
}
