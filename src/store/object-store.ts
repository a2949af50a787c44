// Object stores for control-plane backups: file:///dir (the default, a directory) and
// s3://bucket/prefix through the AWS SDK (any S3-compatible server; endpoint from the topology,
// credentials from the standard AWS_* environment). Names are flat (no slashes).
import { existsSync, fsyncSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HalabError } from '../core/errors.js';

export interface ObjectStore {
  readonly url: string;
  put(name: string, body: Buffer): Promise<void>;
  get(name: string): Promise<Buffer>;
  /** Object names, sorted ascending. */
  list(): Promise<string[]>;
  delete(name: string): Promise<void>;
  /** Full URL of an object. */
  urlOf(name: string): string;
}

export interface ObjectStoreOptions {
  /** S3 endpoint, e.g. http://127.0.0.1:9000 (path-style addressing is used). */
  readonly endpoint?: string;
  readonly region?: string;
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new HalabError('USAGE', `bad object name "${name}": letters, digits, dot, dash and underscore only`);
}

class FileObjectStore implements ObjectStore {
  constructor(
    readonly url: string,
    private readonly dir: string,
  ) {}

  async put(name: string, body: Buffer): Promise<void> {
    checkName(name);
    mkdirSync(this.dir, { recursive: true });
    const file = join(this.dir, name);
    const tmp = `${file}.tmp`;
    writeFileSync(tmp, body);
    const fd = openSync(tmp, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, file);
  }

  async get(name: string): Promise<Buffer> {
    checkName(name);
    const file = join(this.dir, name);
    if (!existsSync(file)) throw new HalabError('NOT_FOUND', `no backup ${name} in ${this.url}`, 'list them with `halab backup --list`');
    return readFileSync(file);
  }

  async list(): Promise<string[]> {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir).filter((n) => !n.endsWith('.tmp')).sort();
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    rmSync(join(this.dir, name), { force: true });
  }

  urlOf(name: string): string {
    return `${this.url.replace(/\/$/, '')}/${name}`;
  }
}

class S3ObjectStore implements ObjectStore {
  private clientPromise: Promise<import('@aws-sdk/client-s3').S3Client> | undefined;

  constructor(
    readonly url: string,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly opts: ObjectStoreOptions,
  ) {}

  private async s3() {
    // The pinned SDK supports Node 20 (this project's floor); its notice about future releases
    // needing Node 22 would otherwise be printed by every command that touches s3://.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
    const sdk = await import('@aws-sdk/client-s3');
    this.clientPromise ??= Promise.resolve(
      new sdk.S3Client({
        region: this.opts.region ?? process.env.AWS_REGION ?? 'us-east-1',
        forcePathStyle: true,
        ...(this.opts.endpoint ? { endpoint: this.opts.endpoint } : {}),
      }),
    );
    return { sdk, client: await this.clientPromise };
  }

  private key(name: string): string {
    return `${this.prefix}${name}`;
  }

  private failed(what: string, err: unknown): HalabError {
    const e = err as { name?: string; message?: string };
    return new HalabError('UPSTREAM_FAILED', `S3 ${what} at ${this.url}${this.opts.endpoint ? ` (endpoint ${this.opts.endpoint})` : ''} failed: ${e.name ?? 'Error'}: ${e.message ?? String(err)}`);
  }

  async put(name: string, body: Buffer): Promise<void> {
    checkName(name);
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.PutObjectCommand({ Bucket: this.bucket, Key: this.key(name), Body: body }));
    } catch (err) {
      throw this.failed(`put ${name}`, err);
    }
  }

  async get(name: string): Promise<Buffer> {
    checkName(name);
    const { sdk, client } = await this.s3();
    try {
      const out = await client.send(new sdk.GetObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
      return Buffer.from(await out.Body!.transformToByteArray());
    } catch (err) {
      if ((err as { name?: string }).name === 'NoSuchKey') throw new HalabError('NOT_FOUND', `no backup ${name} in ${this.url}`, 'list them with `halab backup --list`');
      throw this.failed(`get ${name}`, err);
    }
  }

  async list(): Promise<string[]> {
    const { sdk, client } = await this.s3();
    const names: string[] = [];
    let token: string | undefined;
    try {
      do {
        const out = await client.send(new sdk.ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix, ...(token ? { ContinuationToken: token } : {}) }));
        for (const o of out.Contents ?? []) if (o.Key) names.push(o.Key.slice(this.prefix.length));
        token = out.IsTruncated ? out.NextContinuationToken : undefined;
      } while (token);
    } catch (err) {
      throw this.failed('list', err);
    }
    return names.filter((n) => n && !n.includes('/')).sort();
  }

  async delete(name: string): Promise<void> {
    checkName(name);
    const { sdk, client } = await this.s3();
    try {
      await client.send(new sdk.DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(name) }));
    } catch (err) {
      throw this.failed(`delete ${name}`, err);
    }
  }

  urlOf(name: string): string {
    return `s3://${this.bucket}/${this.key(name)}`;
  }
}

/** Opens file:///dir or s3://bucket[/prefix]. */
export function openObjectStore(url: string, opts: ObjectStoreOptions = {}): ObjectStore {
  if (url.startsWith('file://')) return new FileObjectStore(url, fileURLToPath(url));
  const m = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (m) {
    const prefix = (m[2] ?? '').replace(/^\/+|\/+$/g, '');
    return new S3ObjectStore(url, m[1]!, prefix ? `${prefix}/` : '', opts);
  }
  throw new HalabError('USAGE', `backup location "${url}" is not file:///path or s3://bucket[/prefix]`);
}
