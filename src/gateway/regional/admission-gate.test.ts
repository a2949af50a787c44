import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { AdmissionGate, type Admission } from './admission-gate.js';

const config = { activeMax: 4, queueMax: 4, queueWaitMaxMs: 100, loopDelayShedMs: 0, retryAfterS: 1, ttftTargetMs: 0, latencyWindowMs: 500, limitMin: 2 };

describe('AdmissionGate fair share by requests asked', () => {
  it('runs a steady client at once past activeMax while it asked for less than an equal share (the flood before it asked for most)', async () => {
    const gate = new AdmissionGate(config, new VirtualClock(0));
    const signal = new AbortController().signal;
    // a flood asks for 20: 4 run, 4 wait, 12 are shed at once
    const admitted: (() => void)[] = [];
    const flood = Array.from({ length: 20 }, () => gate.enter(signal, 'flood').then((a) => (a.admitted ? admitted.push(a.release) : undefined)));
    expect(gate.stats()).toMatchObject({ active: 4, queued: 4, shed: 12 });
    // the flood's requests end (quickly: the queued ones run as slots free, then end too)
    for (let round = 0; round < 3; round++) {
      await new Promise((resolve) => setImmediate(resolve));
      for (const release of admitted.splice(0)) release();
    }
    await Promise.all(flood);
    expect(gate.stats()).toMatchObject({ active: 0, queued: 0 });
    // the steady client's long requests fill the slots
    const steady: Admission[] = [];
    for (let i = 0; i < 4; i++) steady.push(await gate.enter(signal, 'steady'));
    expect(steady.every((a) => a.admitted)).toBe(true);
    // alone in flight it is at no share below anyone by in-flight count (the old rule: queued behind
    // the full slots); by what was asked lately (5 of 25) it is below its share: it runs at once
    const next = await Promise.race([gate.enter(signal, 'steady'), new Promise<'queued'>((resolve) => setTimeout(() => resolve('queued'), 50))]);
    expect(next).toMatchObject({ admitted: true });
    expect(gate.stats()).toMatchObject({ active: 5, queued: 0 });
    gate.close();
  });
});
