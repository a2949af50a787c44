import { describe, expect, it } from 'vitest';
import { Endpoints, leaderHint, notLeaderDetails } from './cp-endpoints.js';

describe('control-plane endpoints', () => {
  it('follows a follower\'s leader hint and goes round otherwise', () => {
    const e = new Endpoints('a:1,b:2,c:3');
    expect(e.current()).toBe('a:1');
    expect(e.failed(notLeaderDetails('controlplane/0', 'c:3'))).toEqual({ address: 'c:3', failedRounds: 0 });
    expect(e.failed('connection refused').address).toBe('a:1');
    // a full round failed: the caller backs off
    expect(e.failed(undefined)).toEqual({ address: 'b:2', failedRounds: 1 });
    e.succeeded();
    expect(e.failed(undefined).failedRounds).toBe(0);
  });

  it('with one address every failure is a failed round', () => {
    const e = new Endpoints('only:1');
    expect(Array.from({ length: 4 }, () => e.failed(undefined).failedRounds)).toEqual([1, 2, 3, 4]);
    expect(e.current()).toBe('only:1');
  });

  it('parses hints', () => {
    expect(leaderHint('controlplane/1 is not the control-plane leader (leader: 127.0.0.1:5)')).toBe('127.0.0.1:5');
    expect(leaderHint(notLeaderDetails('x', ''))).toBeUndefined();
    expect(() => new Endpoints(' , ')).toThrow(/no control-plane address/);
  });
});
