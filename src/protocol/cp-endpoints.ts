// A list of control-plane addresses ("a:1,b:2,c:3") and which one to try next. Only the leader
// serves; a follower answers UNAVAILABLE with "leader: <address>" in its details, which moves a
// client straight to the leader; otherwise clients go round the list.

/** Splits a comma-separated address list (at least one address). */
export function parseEndpoints(list: string): string[] {
  const parts = list.split(',').map((s) => s.trim()).filter(Boolean);
  if (parts.length === 0) throw new Error(`no control-plane address in "${list}"`);
  return parts;
}

/** The details a follower answers with: "not the leader (leader: ADDR)". */
export function notLeaderDetails(instance: string, leader: string): string {
  return `${instance} is not the control-plane leader (leader: ${leader || 'unknown'})`;
}

/** The leader address named in a follower's error details, if any. */
export function leaderHint(details: string | undefined): string | undefined {
  const m = /\(leader: ([^)\s]+)\)/.exec(details ?? '');
  return m && m[1] !== 'unknown' ? m[1] : undefined;
}

export class Endpoints {
  private index = 0;
  readonly all: readonly string[];

  constructor(list: string | readonly string[]) {
    this.all = typeof list === 'string' ? parseEndpoints(list) : [...list];
  }

  current(): string {
    return this.all[this.index % this.all.length]!;
  }

  /** Moves on after a failure: to the hinted leader when it is one of ours, else the next one. */
  next(details?: string): string {
    const hint = leaderHint(details);
    const i = hint ? this.all.indexOf(hint) : -1;
    this.index = i >= 0 && i !== this.index % this.all.length ? i : this.index + 1;
    return this.current();
  }

  /** Attempts failed since the last success (reset by succeeded()). */
  private failures = 0;

  succeeded(): void {
    this.failures = 0;
  }

  /**
   * Records a failure and moves on (see next). Returns the address to try and how many whole
   * rounds of the list have failed in a row (0 while the round goes on): the caller's backoff
   * (src/policy/backoff.ts reconnectDelayMs) turns that into a wait.
   */
  failed(details: string | undefined): { address: string; failedRounds: number } {
    this.failures += 1;
    const address = this.next(details);
    return { address, failedRounds: Math.floor(this.failures / this.all.length) };
  }
}
