import { describe, expect, it } from 'vitest';
import { admissionDecision, belowFairShare } from './admission.js';
import { belowAskShare, RecentAsks } from './admission-share.js';

describe('RecentAsks', () => {
  it('counts who asked for the last requests, in requests, not in time', () => {
    const asks = new RecentAsks(8);
    for (let i = 0; i < 5; i++) asks.ask('flood');
    expect(asks.ask('steady')).toEqual({ clientAsked: 1, asked: 6, clientsAsking: 2 });
    expect(belowAskShare(asks.share('steady'))).toBe(true);
    expect(belowAskShare(asks.share('flood'))).toBe(false);
    // the ring is full at 8: older asks drop out as new ones come
    asks.ask('flood');
    asks.ask('flood');
    expect(asks.ask('steady')).toEqual({ clientAsked: 2, asked: 8, clientsAsking: 2 });
    // the flood stops: the steady client stays below its share until its asks replace the flood's
    const after = [1, 2, 3].map(() => belowAskShare(asks.ask('steady')));
    expect(after).toEqual([true, false, false]); // 3 of 8, then 4 of 8 (an equal share)
    for (let i = 0; i < 8; i++) asks.ask('steady');
    expect(asks.share('steady')).toEqual({ clientAsked: 8, asked: 8, clientsAsking: 1 });
    expect(asks.share('flood')).toEqual({ clientAsked: 0, asked: 8, clientsAsking: 1 });
  });

  it('a client is below its share when it asked for less than an equal part', () => {
    expect(belowAskShare({ clientAsked: 10, asked: 60, clientsAsking: 2 })).toBe(true);
    expect(belowAskShare({ clientAsked: 50, asked: 60, clientsAsking: 2 })).toBe(false);
    expect(belowAskShare({ clientAsked: 30, asked: 60, clientsAsking: 2 })).toBe(false);
    // alone, nobody is below a share
    expect(belowAskShare({ clientAsked: 1, asked: 1, clientsAsking: 1 })).toBe(false);
  });
});

describe('fair share by requests asked (load-surge: the steady client holds most of what is in flight)', () => {
  const config = { activeMax: 8, queueMax: 8, loopDelayShedMs: 200 };
  // the flood's requests are shed fast, the steady client's last: the steady client holds 10 of the
  // 16 requests in flight, so by in-flight share alone it is the one over its share
  const state = { active: 16, queued: 0, loopDelayMs: 0, clientInFlight: 10, clients: 2 };

  it('sheds the steady client on the in-flight share alone (the old rule)', () => {
    expect(belowFairShare(state)).toBe(false);
    expect(admissionDecision({ ...state, active: 8, queued: 8 }, config).kind).toBe('shed');
  });

  it('admits it when it asked for less than an equal share of the requests asked lately', () => {
    const s = { ...state, active: 8, queued: 8, askShare: { clientAsked: 20, asked: 120, clientsAsking: 2 } };
    expect(belowFairShare(s)).toBe(true);
    expect(admissionDecision(s, config)).toEqual({ kind: 'admit' });
    // the flood, which asked for most, is still shed
    expect(admissionDecision({ ...s, clientInFlight: 12, askShare: { clientAsked: 100, asked: 120, clientsAsking: 2 } }, config).kind).toBe('shed');
  });

  it('still bounds what runs: activeMax + queueMax', () => {
    const s = { ...state, active: 16, queued: 8, askShare: { clientAsked: 20, asked: 120, clientsAsking: 2 } };
    expect(admissionDecision(s, config).kind).toBe('shed');
  });

  it('under event-loop lag the steady client is admitted, the flood shed', () => {
    const lag = { ...state, active: 4, loopDelayMs: 500 };
    expect(admissionDecision({ ...lag, askShare: { clientAsked: 20, asked: 120, clientsAsking: 2 } }, config).kind).toBe('admit');
    expect(admissionDecision({ ...lag, askShare: { clientAsked: 100, asked: 120, clientsAsking: 2 } }, config).kind).toBe('shed');
  });
});
