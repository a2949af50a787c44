// Picks a load driver by name. `k6` runs k6 when its binary is found (k6-binary.ts); otherwise
// the built-in driver runs instead and says so: the run's meta, report.json and report.md carry
// the note, and `halab run` prints it.
import { BuiltinDriver } from './builtin-driver.js';
import type { DriverName, LoadDriver, LoadRunOptions, LoadRunSummary } from './driver.js';
import type { RequestRecord } from '../record/records.js';
import { findK6 } from './k6-binary.js';
import { K6Driver } from './k6-driver.js';

/** Runs another driver in place of the one asked for, with a note saying why. */
export class FallbackDriver implements LoadDriver {
  readonly name: DriverName;

  constructor(
    private readonly inner: LoadDriver,
    readonly note: string,
  ) {
    this.name = inner.name;
  }

  async run(opts: LoadRunOptions, onRecord: (r: RequestRecord) => void, signal: AbortSignal): Promise<LoadRunSummary> {
    const summary = await this.inner.run(opts, onRecord, signal);
    return { ...summary, note: [this.note, summary.note].filter(Boolean).join('; ') };
  }
}

export function createDriver(name: DriverName, env: NodeJS.ProcessEnv = process.env): LoadDriver {
  if (name === 'builtin') return new BuiltinDriver();
  const k6 = findK6(env);
  if (k6.path) return new K6Driver(k6.path);
  return new FallbackDriver(new BuiltinDriver(), `k6 requested but not found (${k6.reason}); the built-in driver ran instead`);
}
