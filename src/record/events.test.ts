import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { EV } from './event-types.js';
import { memoryEventSink, type EventSink } from './events.js';

const HERE = fileURLToPath(import.meta.url);

/** Never called: the compiler must refuse each line marked @ts-expect-error (checked below). */
export function misuse(sink: EventSink): void {
  // @ts-expect-error a misspelt event type
  sink.emit('health.unheathy', 'a/p/0');
  // @ts-expect-error health.signal's data lacks `to`
  sink.emit(EV.healthSignal, 'a/p/0', 'probe', { signal: 'probe', from: 'healthy' });
  // @ts-expect-error a field health.signal does not declare
  sink.emit(EV.healthSignal, 'a/p/0', 'probe', { signal: 'probe', from: 'healthy', to: 'unhealthy', extra: 1 });
  // @ts-expect-error data is required when the payload has required fields
  sink.emit('routing.removed', 'a/p/0', 'unhealthy');
  // @ts-expect-error an event without data takes none
  sink.emit('health.unhealthy', 'a/p/0', 'probe', { signal: 'probe' });
}

describe('EventSink.emit', () => {
  it('records the type, subject, reason and data with schema version 1', () => {
    const sink = memoryEventSink('controlplane', new VirtualClock(5000));
    sink.emit(EV.healthSignal, 'a/p/0', 'probe failed', { signal: 'probe', from: 'healthy', to: 'unhealthy' });
    sink.emit('health.unhealthy', 'a/p/0', 'probe');
    expect(sink.events).toEqual([
      { v: 1, atMs: 5000, source: 'controlplane', type: 'health.signal', subject: 'a/p/0', reason: 'probe failed', data: { signal: 'probe', from: 'healthy', to: 'unhealthy' } },
      { v: 1, atMs: 5000, source: 'controlplane', type: 'health.unhealthy', subject: 'a/p/0', reason: 'probe' },
    ]);
  });

  it('is typed by the event map: a misspelt type or a wrong data field does not compile', () => {
    const config = ts.getParsedCommandLineOfConfigFile(join(dirname(HERE), '../../tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
    const program = ts.createProgram([HERE], { ...config.options, noEmit: true });
    const diagnostics = ts.getPreEmitDiagnostics(program, program.getSourceFile(HERE));
    // an unused @ts-expect-error (a misuse that compiled) is itself an error
    expect(diagnostics.map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'))).toEqual([]);
  }, 60_000);
});
