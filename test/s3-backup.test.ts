// s3:// backups through the AWS SDK against a real S3-compatible server (moto's server mode,
// installed by scripts/setup.sh) on 127.0.0.1: snapshots with retention, restore of the newest,
// and a truncated object refused with BACKUP_CORRUPT.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { realClock } from '../src/core/clock.js';
import { listBackups, readBackup, takeBackup } from '../src/store/backup.js';
import { openObjectStore } from '../src/store/object-store.js';
import { LogStateStore } from '../src/store/state-store-log.js';
import { freePort } from '../src/core/free-port.js';

const haveMoto = spawnSync('sh', ['-c', 'command -v moto_server']).status === 0;
let moto: ChildProcess | undefined;
let endpoint = '';

beforeAll(async () => {
  if (!haveMoto) return;
  process.env.AWS_ACCESS_KEY_ID = 'halab-test';
  process.env.AWS_SECRET_ACCESS_KEY = 'halab-test';
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  const port = await freePort();
  endpoint = `http://127.0.0.1:${port}`;
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const deadline = realClock.monoMs() + 20_000;
  for (;;) {
    try {
      if ((await fetch(endpoint)).status < 500) break;
    } catch {
      if (realClock.monoMs() > deadline) throw new Error(`moto_server did not start on ${endpoint}`);
    }
    await realClock.sleep(100);
  }
  const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
  await s3.send(new CreateBucketCommand({ Bucket: 'halab-backups' }));
  s3.destroy();
}, 30_000);

afterAll(() => {
  moto?.kill('SIGTERM');
});

describe.skipIf(!haveMoto)('s3:// backups (moto server)', () => {
  it('writes snapshots, prunes to retention, restores the newest and refuses a truncated one', async () => {
    const store = await LogStateStore.open(join(mkdtempSync(join(tmpdir(), 'halab-s3-')), 'state.log'));
    const objects = openObjectStore('s3://halab-backups/lab-1', { endpoint });
    const names: string[] = [];
    for (let i = 0; i < 3; i++) {
      await store.put('routing/version', String(i));
      names.push((await takeBackup(store, objects, 2_000_000 + i, 2, 'test')).name);
    }
    expect(await listBackups(objects)).toEqual(names.slice(1));
    const { name, snapshot } = await readBackup(objects);
    expect(name).toBe(names[2]);
    expect(snapshot.data.get('routing/version')).toBe('2');
    expect(objects.urlOf(name)).toBe(`s3://halab-backups/lab-1/${name}`);

    // truncate the newest object behind the store's back
    const s3 = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1' });
    const body = Buffer.from(await (await s3.send(new GetObjectCommand({ Bucket: 'halab-backups', Key: `lab-1/${name}` }))).Body!.transformToByteArray());
    await s3.send(new PutObjectCommand({ Bucket: 'halab-backups', Key: `lab-1/${name}`, Body: body.subarray(0, body.length - 10) }));
    s3.destroy();
    await expect(readBackup(objects, name)).rejects.toMatchObject({ code: 'BACKUP_CORRUPT', message: expect.stringMatching(/truncated/) });
    await expect(openObjectStore('s3://no-such-bucket-halab', { endpoint }).list()).rejects.toMatchObject({ code: 'UPSTREAM_FAILED', message: expect.stringMatching(/NoSuchBucket/) });
    await store.close();
  }, 30_000);
});
