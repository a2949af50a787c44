// The k6 load driver: writes the script's configuration and requests, runs `k6 run
// scenarios/k6/chat-stream.js` as a child process, turns each `HALAB_RECORD` line it prints into a
// RequestRecord as it arrives (k6-records.ts), and returns how k6 ended (exit code, failed
// thresholds, dropped iterations) for the verdict. Ctrl-C / abort sends k6 SIGINT (it stops and
// still writes its summary), then SIGKILL after a grace period; the work directory is removed.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { realClock, type Clock } from '../core/clock.js';
import { HalabError } from '../core/errors.js';
import type { RequestRecord } from '../record/records.js';
import type { LoadDriver, LoadRunOptions, LoadRunSummary } from './driver.js';
import { k6Config, k6Requests } from './k6-config.js';
import { k6ExitKind, parseK6Summary, type K6Result } from './k6-exit.js';
import { k6ToRequestRecord, parseK6Line } from './k6-records.js';

/** The shipped k6 script (found from the project root, for both src/ and dist/src/). */
export function defaultK6Script(): string {
  let dir = import.meta.dirname;
  while (!existsSync(join(dir, 'package.json'))) {
    const up = dirname(dir);
    if (up === dir) throw new HalabError('INTERNAL', 'cannot find the project root (package.json)');
    dir = up;
  }
  return join(dir, 'scenarios', 'k6', 'chat-stream.js');
}
/** How long k6 gets to stop after SIGINT before it is killed. */
export const K6_STOP_GRACE_MS = 5000;
/** k6 log lines kept to explain a failure. */
const KEEP_LINES = 20;

/** `k6 version`'s first line, or undefined when it cannot run. */
export function k6Version(binary: string): string | undefined {
  const r = spawnSync(binary, ['version'], { encoding: 'utf8', timeout: 10_000 });
  return r.status === 0 ? r.stdout.split('\n')[0]?.trim() : undefined;
}

export class K6Driver implements LoadDriver {
  readonly name = 'k6' as const;
  readonly note: string;

  constructor(
    private readonly binary: string,
    private readonly script: string = defaultK6Script(),
    private readonly clock: Clock = realClock,
    private readonly version = k6Version(binary),
  ) {
    this.note = `${version ?? 'k6 (version unknown)'} at ${binary}, script ${script}`;
  }

  async run(opts: LoadRunOptions, onRecord: (r: RequestRecord) => void, signal: AbortSignal): Promise<LoadRunSummary> {
    const dir = mkdtempSync(join(tmpdir(), 'halab-k6-'));
    try {
      const files = { summaryFile: join(dir, 'summary.json'), requestsFile: join(dir, 'requests.json') };
      const configFile = join(dir, 'config.json');
      const config = k6Config(opts, files);
      writeFileSync(files.requestsFile, JSON.stringify(k6Requests(opts)));
      writeFileSync(configFile, JSON.stringify(config));
      const ctx = { seed: opts.seed, promptTokens: opts.promptTokens, maxTokens: opts.maxTokens, streaming: opts.streaming, timeoutMs: opts.timeoutMs, ...(opts.clientRegion ? { clientRegion: opts.clientRegion } : {}), ...(opts.answersKnown === false ? { answersKnown: false } : {}) };

      const child = spawn(
        this.binary,
        ['run', '--quiet', '--no-color', '--no-usage-report', '--address', '', '--log-format', 'raw', '--env', `HALAB_K6_CONFIG=${configFile}`, this.script],
        { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, K6_NO_USAGE_REPORT: 'true' } },
      );
      let completed = 0;
      let badLines = 0;
      const tail: string[] = [];
      const onLine = (line: string): void => {
        try {
          const raw = parseK6Line(line);
          if (raw) {
            completed += 1;
            onRecord(k6ToRequestRecord(raw, ctx));
            return;
          }
        } catch (err) {
          badLines += 1;
          line = (err as Error).message;
        }
        if (line.trim()) tail.push(line.slice(0, 300));
        if (tail.length > KEEP_LINES) tail.shift();
      };
      const streams = [child.stdout, child.stderr].map((s) => {
        const rl = createInterface({ input: s, crlfDelay: Infinity });
        rl.on('line', onLine);
        return new Promise<void>((done) => rl.once('close', done));
      });
      let killTimer: { cancel(): void } | undefined;
      const onAbort = (): void => {
        child.kill('SIGINT');
        killTimer = this.clock.setTimer(K6_STOP_GRACE_MS, () => child.kill('SIGKILL'));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener('abort', onAbort, { once: true });
      const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done, fail) => {
        child.once('error', (err) => fail(new HalabError('PREREQUISITE_MISSING', `cannot run k6 at ${this.binary}: ${err.message}`)));
        child.once('exit', (code, sig) => done({ code, signal: sig }));
      }).finally(() => {
        signal.removeEventListener('abort', onAbort);
        killTimer?.cancel();
      });
      await Promise.all(streams);

      const summary = existsSync(files.summaryFile) ? parseK6Summary(JSON.parse(readFileSync(files.summaryFile, 'utf8'))) : { failedThresholds: [], thresholds: Object.values(config.thresholds).flat().length, droppedIterations: 0 };
      const result: K6Result = { exitCode: exit.code, ...(exit.signal ? { signal: exit.signal } : {}), ...summary, ...(this.version ? { version: this.version } : {}) };
      const kind = k6ExitKind(exit.code, exit.signal ?? undefined);
      if (kind === 'error' && completed === 0 && !signal.aborted) {
        throw new HalabError('INTERNAL', `k6 ended with ${exit.code !== null ? `exit code ${exit.code}` : `signal ${exit.signal}`} before any request:\n${tail.join('\n')}`);
      }
      const problems = [
        ...(kind === 'error' ? [`k6 ended with exit code ${exit.code ?? exit.signal}: ${tail.slice(-3).join(' | ')}`] : []),
        ...(badLines ? [`${badLines} malformed k6 record line(s)`] : []),
        ...(summary.droppedIterations > 0 ? [`k6 dropped ${summary.droppedIterations} request start(s) for want of a free VU (raise load.maxVUs)`] : []),
      ];
      return {
        driver: 'k6',
        started: completed,
        completed,
        skipped: summary.droppedIterations,
        k6: result,
        ...(problems.length ? { note: problems.join('; ') } : {}),
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
