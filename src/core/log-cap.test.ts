import { afterEach, describe, expect, it } from 'vitest';
import { appendFileSync, closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VirtualClock } from './clock.js';
import { capLogFile, DEFAULT_LOG_MAX_BYTES, LogCapper, logMaxBytes } from './log-cap.js';

const dirs: string[] = [];
function tmpFile(): string {
  const dir = mkdtempSync(join(tmpdir(), 'halab-logcap-'));
  dirs.push(dir);
  return join(dir, 'x.log');
}
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('capLogFile', () => {
  it('leaves a file under its cap alone, and a missing one', () => {
    const file = tmpFile();
    expect(capLogFile(file, 100)).toBe(false);
    appendFileSync(file, 'a'.repeat(100));
    expect(capLogFile(file, 100)).toBe(false);
    expect(statSync(file).size).toBe(100);
  });

  it('past its cap copies the file to .1 and truncates it; an appending writer goes on at the new start', () => {
    const file = tmpFile();
    // the writer holds its own descriptor opened for appending, as the lab's redirected stdout does
    const fd = openSync(file, 'a');
    try {
      writeSync(fd, 'old line\n'.repeat(20));
      expect(capLogFile(file, 100)).toBe(true);
      expect(readFileSync(`${file}.1`, 'utf8')).toBe('old line\n'.repeat(20));
      expect(statSync(file).size).toBe(0);
      writeSync(fd, 'new line\n');
      expect(readFileSync(file, 'utf8')).toBe('new line\n'); // no hole where the old bytes were
    } finally {
      closeSync(fd);
    }
  });

  it('keeps `keep` rotated copies, oldest last', () => {
    const file = tmpFile();
    for (const gen of ['one', 'two', 'three']) {
      appendFileSync(file, `${gen}\n`.repeat(50));
      expect(capLogFile(file, 10, 2)).toBe(true);
    }
    expect(readFileSync(`${file}.1`, 'utf8')).toMatch(/^three/);
    expect(readFileSync(`${file}.2`, 'utf8')).toMatch(/^two/);
    expect(existsSync(`${file}.3`)).toBe(false);
  });
});

describe('logMaxBytes', () => {
  it('reads HALAB_LOG_MAX_BYTES, refusing a bad value by name', () => {
    expect(logMaxBytes({})).toBe(DEFAULT_LOG_MAX_BYTES);
    expect(logMaxBytes({ HALAB_LOG_MAX_BYTES: '65536' })).toBe(65536);
    expect(() => logMaxBytes({ HALAB_LOG_MAX_BYTES: '12' })).toThrow(/HALAB_LOG_MAX_BYTES must be .* >= 4096, got "12"/);
    expect(() => logMaxBytes({ HALAB_LOG_MAX_BYTES: 'lots' })).toThrow(/HALAB_LOG_MAX_BYTES/);
  });
});

describe('LogCapper', () => {
  it('holds a log writing at the old trace-level link-proxy rate (22 KB/s) under cap + one interval for 30 minutes', () => {
    const file = tmpFile();
    const clock = new VirtualClock();
    const maxBytes = 256 * 1024;
    const capper = new LogCapper([file], { maxBytes, intervalMs: 1000 }, clock).start();
    const fd = openSync(file, 'a');
    const line = `${'x'.repeat(219)}\n`; // 220 bytes: 100 lines a second is 22 KB/s
    let largest = 0;
    let written = 0;
    try {
      for (let tenthMs = 0; tenthMs < 1800 * 10; tenthMs++) {
        for (let i = 0; i < 10; i++) writeSync(fd, line);
        written += 10 * line.length;
        largest = Math.max(largest, statSync(file).size);
        clock.advanceTo(clock.nowMs() + 100);
      }
    } finally {
      closeSync(fd);
      capper.stop();
    }
    expect(written).toBe(22_000 * 1800); // 39.6 MB written in the 30 minutes
    expect(largest).toBeLessThanOrEqual(maxBytes + 22_000 + line.length * 10);
    expect(statSync(`${file}.1`).size).toBeLessThanOrEqual(maxBytes + 22_000 + line.length * 10);
    expect(capper.rotations).toBeGreaterThan(100);
  });
});
