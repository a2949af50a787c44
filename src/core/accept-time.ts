// When a request really arrived. A handler runs only once the event loop reaches the socket, so
// under a saturated or blocked loop the client has been waiting before the handler starts — time a
// latency histogram begun at handler start never shows. A heartbeat timer measures how late the
// loop is: in the turn after a late beat (cleared at that turn's check phase), requests read were
// waiting unread for up to that lateness, and their accept time is taken that much earlier. An
// upper bound on a request's unseen wait, never a lower one: what the client saw, not what the
// handler saw.
import type { Clock, TimerHandle } from './clock.js';

export interface AcceptClock {
  /** The accept time of a request whose handler starts now, monotonic ms. */
  acceptedMs(): number;
  stop(): void;
}

/** Beats every `intervalMs`; a beat later than `slackMs` marks the turn as coming out of a stall. */
export function startAcceptClock(clock: Clock, intervalMs = 25, slackMs = 5): AcceptClock {
  let stallMs = 0;
  let dueMs = clock.monoMs() + intervalMs;
  let timer: TimerHandle | undefined;
  let stopped = false;
  const beat = (): void => {
    if (stopped) return;
    const now = clock.monoMs();
    const late = now - dueMs;
    if (late > slackMs) {
      stallMs = late;
      // the requests this turn reads (its poll phase) waited; later turns' did not
      setImmediate(() => (stallMs = 0));
    }
    dueMs = now + intervalMs;
    timer = clock.setTimer(intervalMs, beat);
  };
  timer = clock.setTimer(intervalMs, beat);
  return {
    acceptedMs: () => clock.monoMs() - stallMs,
    stop() {
      stopped = true;
      timer?.cancel();
    },
  };
}
