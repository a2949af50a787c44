import { describe, expect, it } from 'vitest';
import { VirtualClock } from '../../core/clock.js';
import { ProbeBatches } from './probe-batches.js';

function setup() {
  const clock = new VirtualClock(0);
  const ran: string[] = [];
  const batches = new ProbeBatches<string>(clock, (id) => ran.push(`${clock.nowMs()}:${id}`));
  return { clock, ran, batches };
}

describe('ProbeBatches', () => {
  it('runs the probes due at one instant from one timer, in the order they were scheduled', () => {
    const { clock, ran, batches } = setup();
    batches.schedule('a', 'a', 500);
    batches.schedule('b', 'b', 500);
    batches.schedule('c', 'c', 100);
    batches.schedule('d', 'd', 500);
    expect(clock.pending()).toBe(2);
    clock.advanceTo(1000);
    expect(ran).toEqual(['100:c', '500:a', '500:b', '500:d']);
    expect(batches.size()).toBe(0);
  });

  it('keeps each probe on its own cadence: rescheduling one moves only that one', () => {
    const { clock, ran, batches } = setup();
    batches.schedule('a', 'a', 500);
    batches.schedule('b', 'b', 500);
    batches.schedule('a', 'a', 0); // a passive hint: probe a now
    clock.advanceTo(1000);
    expect(ran).toEqual(['0:a', '500:b']);
  });

  it('cancels one probe without touching the others, and drops a batch whose probes are all cancelled', () => {
    const { clock, ran, batches } = setup();
    batches.schedule('a', 'a', 500);
    batches.schedule('b', 'b', 500);
    batches.cancel('a');
    batches.cancel('nobody');
    clock.advanceTo(600);
    expect(ran).toEqual(['500:b']);
    batches.schedule('c', 'c', 100);
    batches.cancel('c');
    expect(clock.pending()).toBe(0);
    clock.advanceTo(1000);
    expect(ran).toEqual(['500:b']);
  });

  it('gives a probe scheduled for the instant being run a timer of its own, after the running batch', () => {
    const clock = new VirtualClock(0);
    const ran: string[] = [];
    const batches: ProbeBatches<string> = new ProbeBatches<string>(clock, (id) => {
      ran.push(`${clock.nowMs()}:${id}`);
      if (id === 'a') batches.schedule('z', 'z', 0);
    });
    batches.schedule('a', 'a', 200);
    batches.schedule('b', 'b', 200);
    clock.advanceTo(300);
    expect(ran).toEqual(['200:a', '200:b', '200:z']);
  });

  it('a cancel from inside a running batch skips the cancelled probe', () => {
    const clock = new VirtualClock(0);
    const ran: string[] = [];
    const batches: ProbeBatches<string> = new ProbeBatches<string>(clock, (id) => {
      ran.push(id);
      if (id === 'a') batches.cancel('b');
    });
    batches.schedule('a', 'a', 200);
    batches.schedule('b', 'b', 200);
    batches.schedule('c', 'c', 200);
    clock.advanceTo(300);
    expect(ran).toEqual(['a', 'c']);
  });

  it('clear() cancels every pending probe and its timer', () => {
    const { clock, ran, batches } = setup();
    batches.schedule('a', 'a', 100);
    batches.schedule('b', 'b', 300);
    batches.clear();
    expect(clock.pending()).toBe(0);
    clock.advanceTo(1000);
    expect(ran).toEqual([]);
  });
});
