// Live progress of a run on the terminal: elapsed time, request rate, success rate, live faults.
// On a TTY it redraws one line each second; otherwise it prints a line every 5 seconds.
import type { Clock, TimerHandle } from '../core/clock.js';
import type { RequestRecord } from '../record/records.js';

export interface ProgressSource {
  readonly durationMs: number;
  liveFaults(): readonly { kind: string; target: string }[];
  /** Extra text for the line (a game day's p99 TTFT and error budget). */
  extra?(): string;
}

export class Progress {
  private window: RequestRecord[] = [];
  private total = 0;
  private ok = 0;
  private timer?: TimerHandle;
  private readonly startedMs: number;
  private tick = 0;

  constructor(
    private readonly source: ProgressSource,
    private readonly clock: Clock,
    private readonly out: NodeJS.WriteStream = process.stderr,
  ) {
    this.startedMs = clock.monoMs();
  }

  record(r: RequestRecord): void {
    this.window.push(r);
    this.total += 1;
    if (r.outcome === 'ok' && r.correct !== false) this.ok += 1;
  }

  start(): void {
    const loop = (): void => {
      this.draw();
      this.timer = this.clock.setTimer(1000, loop);
    };
    this.timer = this.clock.setTimer(1000, loop);
  }

  stop(): void {
    this.timer?.cancel();
    if (this.out.isTTY) this.out.write('\n');
  }

  private draw(): void {
    this.tick += 1;
    const rate = this.window.length;
    const windowOk = this.window.filter((r) => r.outcome === 'ok' && r.correct !== false).length;
    this.window = [];
    const elapsedS = (this.clock.monoMs() - this.startedMs) / 1000;
    const faults = this.source.liveFaults().map((f) => `${f.kind}@${f.target}`).join(', ') || 'none';
    const line =
      `[${elapsedS.toFixed(0).padStart(3)}s/${(this.source.durationMs / 1000).toFixed(0)}s] ` +
      `${rate} done/s, ok ${rate ? ((100 * windowOk) / rate).toFixed(1) : '-'}% (run ${this.total ? ((100 * this.ok) / this.total).toFixed(2) : '-'}%)${this.source.extra ? `, ${this.source.extra()}` : ''}, faults: ${faults}`;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line}`);
    else if (this.tick % 5 === 0) this.out.write(line + '\n');
  }
}
