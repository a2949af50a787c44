// Token-exact replay, pure: a deterministic fallback regenerates the answer from the start; the
// text the client already has is checked character by character and held back, and only what
// comes after it is forwarded. Token boundaries may differ between engines, so it compares text.

export type ReplayStep =
  /** Still inside the part the client has, and matching so far: forward nothing. */
  | { readonly kind: 'hold' }
  /** Past the prefix: forward this text. */
  | { readonly kind: 'forward'; readonly text: string }
  /** The regenerated text differs from what the client has. */
  | { readonly kind: 'diverged' };

export class ReplayCheck {
  private replayed = '';
  private caughtUp: boolean;

  constructor(private readonly prefix: string) {
    this.caughtUp = prefix.length === 0;
  }

  /** Whether the whole prefix has been regenerated (identically). */
  get complete(): boolean {
    return this.caughtUp;
  }

  accept(text: string): ReplayStep {
    if (this.caughtUp) return { kind: 'forward', text };
    this.replayed += text;
    const overlap = Math.min(this.replayed.length, this.prefix.length);
    if (this.replayed.slice(0, overlap) !== this.prefix.slice(0, overlap)) return { kind: 'diverged' };
    if (this.replayed.length < this.prefix.length) return { kind: 'hold' };
    this.caughtUp = true;
    const rest = this.replayed.slice(this.prefix.length);
    return rest ? { kind: 'forward', text: rest } : { kind: 'hold' };
  }
}
