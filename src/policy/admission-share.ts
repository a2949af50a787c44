// Fair share by what each client asked for lately, pure (no clock, no I/O): the requests each client
// key sent to an edge over the last one to two windows (the window now filling and the one before).
// Fair-share shedding by requests *in flight* alone favours a flood whose requests are shed quickly
// over a steady client whose requests last (its few long requests are the larger share of what is
// in flight); by requests *asked*, the flood is the client that asks more than its equal share,
// however quickly its requests end. src/policy/admission.ts admits a client below either share.

/** Length of one counting window: the share covers this window and the one before. */
export const ASK_WINDOW_MS = 1000;

export interface AskShare {
  /** Requests this client asked for in the window now filling and the one before (this one included). */
  readonly clientAsked: number;
  /** Requests every client asked for over the same span. */
  readonly asked: number;
  /** Clients that asked for any. */
  readonly clientsAsking: number;
}

/** Counts requests asked per client key over a sliding span of two windows. */
export class AskWindow {
  private windowStartMs: number;
  private current = new Map<string, number>();
  private previous = new Map<string, number>();

  constructor(
    nowMs: number,
    private readonly windowMs: number = ASK_WINDOW_MS,
  ) {
    this.windowStartMs = nowMs;
  }

  /** Counts one request asked by `client` at `nowMs` and returns its share. */
  ask(client: string, nowMs: number): AskShare {
    this.roll(nowMs);
    this.current.set(client, (this.current.get(client) ?? 0) + 1);
    return this.share(client);
  }

  share(client: string): AskShare {
    let asked = 0;
    const clients = new Set<string>();
    for (const m of [this.previous, this.current]) {
      for (const [k, n] of m) {
        asked += n;
        clients.add(k);
      }
    }
    return { clientAsked: (this.previous.get(client) ?? 0) + (this.current.get(client) ?? 0), asked, clientsAsking: clients.size };
  }

  private roll(nowMs: number): void {
    if (nowMs - this.windowStartMs < this.windowMs) return;
    // a gap of two windows or more leaves nothing recent
    this.previous = nowMs - this.windowStartMs < 2 * this.windowMs ? this.current : new Map();
    this.current = new Map();
    this.windowStartMs = nowMs - ((nowMs - this.windowStartMs) % this.windowMs);
  }
}

/** Whether a client asked for fewer than an equal share of the requests asked lately (two clients or more). */
export function belowAskShare(s: AskShare): boolean {
  return s.clientsAsking > 1 && s.clientAsked * s.clientsAsking < s.asked;
}
