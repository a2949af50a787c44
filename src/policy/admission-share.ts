// Fair share by what each client asked for lately, pure (no clock, no I/O): which client key sent
// each of the last ASKS_REMEMBERED requests to an edge (a ring). Fair-share shedding by requests
// *in flight* alone favours a flood whose requests are shed quickly over a steady client whose
// requests last (its few long requests are the larger share of what is in flight); by requests
// *asked*, the flood is the client that asks for more than an equal share, however quickly its
// requests end. Counted in requests, not in time: an event loop stalled for seconds (the moment
// shedding matters most) does not wipe the record, and once a flood stops the steady client stays
// protected until its own requests are half the ring again (at 20 req/s, 32 asks: ~1.6 s), while the
// backlog the flood left drains. Small enough that a flood's onset outnumbers a steady client's
// record within a fraction of a second (32 asks), which a ring of 256 did not (the steady client
// held the ring for ~2 s of a retry storm and was queued behind it). src/policy/admission.ts admits
// a client below either share.

/** Requests remembered (the span of the share). */
export const ASKS_REMEMBERED = 64;

export interface AskShare {
  /** Of the requests remembered, those this client asked for (this one included). */
  readonly clientAsked: number;
  /** Requests remembered. */
  readonly asked: number;
  /** Clients among them. */
  readonly clientsAsking: number;
}

/** The client keys of the last `size` requests asked for, with a count per key. */
export class RecentAsks {
  private readonly ring: string[] = [];
  private next = 0;
  private readonly counts = new Map<string, number>();

  constructor(private readonly size: number = ASKS_REMEMBERED) {}

  /** Counts one request asked for by `client` and returns its share. */
  ask(client: string): AskShare {
    if (this.ring.length < this.size) this.ring.push(client);
    else {
      const old = this.ring[this.next]!;
      const n = (this.counts.get(old) ?? 1) - 1;
      if (n > 0) this.counts.set(old, n);
      else this.counts.delete(old);
      this.ring[this.next] = client;
      this.next = (this.next + 1) % this.size;
    }
    this.counts.set(client, (this.counts.get(client) ?? 0) + 1);
    return this.share(client);
  }

  share(client: string): AskShare {
    return { clientAsked: this.counts.get(client) ?? 0, asked: this.ring.length, clientsAsking: this.counts.size };
  }
}

/** Whether a client asked for fewer than an equal share of the requests remembered (two clients or more). */
export function belowAskShare(s: AskShare): boolean {
  return s.clientsAsking > 1 && s.clientAsked * s.clientsAsking < s.asked;
}
