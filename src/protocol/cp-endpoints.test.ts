import { describe, expect, it } from 'vitest';
import { Endpoints, leaderHint, notLeaderDetails } from './cp-endpoints.js';

describe('control-plane endpoints', () => {
  it('follows a follower\'s leader hint and goes round otherwise', () => {
    const e = new Endpoints('a:1,b:2,c:3');
    expect(e.current()).toBe('a:1');
    expect(e.failed(notLeaderDetails('controlplane/0', 'c:3'), 100, 2000)).toEqual({ address: 'c:3', delayMs: 50 });
    expect(e.failed('connection refused', 100, 2000).address).toBe('a:1');
    // a full round failed: back off
    expect(e.failed(undefined, 100, 2000)).toEqual({ address: 'b:2', delayMs: 100 });
    e.succeeded();
    expect(e.failed(undefined, 100, 2000).delayMs).toBe(50);
  });

  it('with one address it is capped exponential backoff', () => {
    const e = new Endpoints('only:1');
    const delays = Array.from({ length: 7 }, () => e.failed(undefined, 100, 2000).delayMs);
    expect(delays).toEqual([100, 200, 400, 800, 1600, 2000, 2000]);
    expect(e.current()).toBe('only:1');
  });

  it('parses hints', () => {
    expect(leaderHint('controlplane/1 is not the control-plane leader (leader: 127.0.0.1:5)')).toBe('127.0.0.1:5');
    expect(leaderHint(notLeaderDetails('x', ''))).toBeUndefined();
    expect(() => new Endpoints(' , ')).toThrow(/no control-plane address/);
  });
});
