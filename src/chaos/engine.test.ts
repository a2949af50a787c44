import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../core/clock.js';
import { memoryEventSink } from '../record/events.js';
import { EV } from '../record/event-types.js';
import { recordHeal } from './engine.js';

const fault = { id: 'f1', kind: 'replica.crash', target: 'a/p/0', replicas: ['a/p/0'], injectedAtMs: 0, undo: [] };

describe('recordHeal', () => {
  it('records a heal whose undo failed as fault.heal-failed, never as fault.healed', () => {
    const events = memoryEventSink('chaos', new VirtualClock(0));
    recordHeal(events, fault, ['f1: restart of replica/a/p/0 failed']);
    recordHeal(events, { ...fault, id: 'f2' }, []);
    expect(events.events.map((e) => `${e.type} ${e.subject} ${e.reason ?? ''}`)).toEqual([`${EV.faultHealFailed} f1 f1: restart of replica/a/p/0 failed`, `${EV.faultHealed} f2 `]);
  });
});
