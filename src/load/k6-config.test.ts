import { chmodSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { LoadRunOptions } from './driver.js';
import { createDriver, FallbackDriver } from './drivers.js';
import { findK6 } from './k6-binary.js';
import { k6Config, k6Rate, k6RequestCount, k6Requests, k6Thresholds } from './k6-config.js';
import { promptFor, seedFor } from '../protocol/prompts.js';

const opts: LoadRunOptions = { entrypoint: 'http://127.0.0.1:1', ratePerSec: 20, arrival: 'constant', durationMs: 10_000, streaming: true, promptTokens: 16, maxTokens: 32, timeoutMs: 5000, model: 'm', seed: 4 };
const files = { summaryFile: '/s.json', requestsFile: '/r.json' };

describe('k6 configuration', () => {
  it('is an open constant-arrival-rate load with VUs from rate and timeout', () => {
    expect(k6Config(opts, files)).toMatchObject({ rate: 20, timeUnit: '1s', duration: '10000ms', preAllocatedVUs: 40, maxVUs: 100, gracefulStop: '7000ms', thresholds: {} });
    expect(k6Config({ ...opts, preAllocatedVUs: 7, maxVUs: 3 }, files)).toMatchObject({ preAllocatedVUs: 7, maxVUs: 7 });
  });

  it('turns a fractional rate into an integer per 1000 s', () => {
    expect(k6Rate(2.5)).toEqual({ rate: 2500, timeUnit: '1000s' });
    expect(k6Rate(3)).toEqual({ rate: 3, timeUnit: '1s' });
  });

  it('derives thresholds from the ttftP99 and availability targets only', () => {
    expect(k6Thresholds({ ttftP99Ms: 3000, availability: 0.999 })).toEqual({ halab_ttft: ['p(99)<=3000'], halab_complete: ['rate>=0.999'] });
    expect(k6Thresholds(undefined)).toEqual({});
  });

  it('sends request i the same prompt and seed the built-in driver would', () => {
    const reqs = k6Requests(opts);
    expect(reqs).toHaveLength(k6RequestCount(opts));
    expect(reqs.length).toBeGreaterThanOrEqual(200);
    expect(reqs[17]).toEqual({ messages: promptFor(4, 17, 16), seed: seedFor(4, 17) });
  });

  it('refuses a load too large to write up front, naming the limit', () => {
    expect(() => k6Config({ ...opts, ratePerSec: 5000, durationMs: 3_600_000 }, files)).toThrow(/at most 500000 requests/);
  });
});

describe('finding k6', () => {
  it('uses HALAB_K6 alone when set, and says when it is missing', () => {
    expect(findK6({ HALAB_K6: '/nonexistent/k6', PATH: '/usr/bin' })).toEqual({ reason: 'HALAB_K6=/nonexistent/k6 is not an executable file' });
    const dir = mkdtempSync(join(tmpdir(), 'halab-k6bin-'));
    const fake = join(dir, 'k6');
    writeFileSync(fake, '#!/bin/sh\n');
    chmodSync(fake, 0o755);
    expect(findK6({ HALAB_K6: fake })).toEqual({ path: fake });
    expect(findK6({ GOPATH: dir.replace(/\/[^/]+$/, '/none'), HOME: '/nonexistent', PATH: dir })).toEqual({ path: fake });
  });

  it('falls back to the built-in driver with a note when k6 is missing', () => {
    const d = createDriver('k6', { HALAB_K6: '/nonexistent/k6' });
    expect(d).toBeInstanceOf(FallbackDriver);
    expect(d.name).toBe('builtin');
    expect(d.note).toMatch(/k6 requested but not found \(HALAB_K6=\/nonexistent\/k6 is not an executable file\); the built-in driver ran instead/);
  });
});
