// Retry budgets (Envoy's retry_budget, gRPC's retry throttling): a retry may start only while the
// retries in flight stay within a share of the requests in flight (at least `minRetries`), so a
// proxy cannot multiply the load of an upstream that is already overloaded.

export interface RetryBudgetConfig {
  /** Retries in flight allowed per request in flight, e.g. 0.2. */
  readonly ratio: number;
  /** Retries in flight always allowed, however few requests run. */
  readonly minRetries: number;
}

/** Whether one more retry may start with `retriesInFlight` already running among `requestsInFlight`. */
export function retryBudgetAllows(retriesInFlight: number, requestsInFlight: number, config: RetryBudgetConfig): boolean {
  return retriesInFlight < Math.max(config.minRetries, config.ratio * requestsInFlight);
}

/** The counters one edge keeps for its budget; no clock, no I/O. */
export class RetryBudget {
  private requests = 0;
  private retries = 0;
  private refusedTotal = 0;

  constructor(private readonly config: RetryBudgetConfig) {}

  /** Counts a request in flight; call the returned release (idempotent) when it ends. */
  beginRequest(): () => void {
    this.requests += 1;
    return this.once(() => (this.requests -= 1));
  }

  /** A release for the retry when the budget allows it (call it when the retry ends), else undefined. */
  tryRetry(): (() => void) | undefined {
    if (!retryBudgetAllows(this.retries, this.requests, this.config)) {
      this.refusedTotal += 1;
      return undefined;
    }
    this.retries += 1;
    return this.once(() => (this.retries -= 1));
  }

  stats(): { readonly requests: number; readonly retries: number; readonly refused: number } {
    return { requests: this.requests, retries: this.retries, refused: this.refusedTotal };
  }

  private once(fn: () => void): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      fn();
    };
  }
}
