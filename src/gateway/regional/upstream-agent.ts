// The keep-alive connection pools a gateway or the GLB reaches its upstreams through: one undici
// Agent per process (a pool per origin), installed as the process's dispatcher, so a completion
// reuses an idle connection to its replica (or region) instead of connecting anew; and a
// one-connection pool per health-checked endpoint that keeps its connection between checks and
// drops it on any failed check (a pooled connection may sit on a link that was black-holed).
import { Agent, Pool, setGlobalDispatcher } from 'undici';

export interface UpstreamAgentOptions {
  /** Give up opening a connection after this long (undici's default: 10 s). */
  readonly connectTimeoutMs?: number;
}

/** Idle connections stay open this long (capped by the server's Keep-Alive hint). */
export const UPSTREAM_KEEPALIVE_MS = 30_000;

export function upstreamAgent(opts: UpstreamAgentOptions = {}): Agent {
  return new Agent({
    keepAliveTimeout: UPSTREAM_KEEPALIVE_MS,
    keepAliveMaxTimeout: 2 * UPSTREAM_KEEPALIVE_MS,
    pipelining: 1,
    ...(opts.connectTimeoutMs !== undefined ? { connect: { timeout: opts.connectTimeoutMs } } : {}),
  });
}

/** Installs the keep-alive agent as the dispatcher of every undici request of this process. */
export function useUpstreamAgent(opts: UpstreamAgentOptions = {}): Agent {
  const agent = upstreamAgent(opts);
  setGlobalDispatcher(agent);
  return agent;
}

/** One kept-alive connection per checked endpoint, replaced after any failed check. */
export class CheckConnections {
  private readonly pools = new Map<string, Pool>();

  constructor(private readonly opts: UpstreamAgentOptions = {}) {}

  /** The pool that reaches `origin` (created on first use). */
  pool(origin: string): Pool {
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 1,
        pipelining: 1,
        keepAliveTimeout: UPSTREAM_KEEPALIVE_MS,
        ...(this.opts.connectTimeoutMs !== undefined ? { connect: { timeout: this.opts.connectTimeoutMs } } : {}),
      });
      this.pools.set(origin, pool);
    }
    return pool;
  }

  /** Drops the endpoint's connection: the next check connects afresh. */
  drop(origin: string): void {
    const pool = this.pools.get(origin);
    if (!pool) return;
    this.pools.delete(origin);
    pool.destroy().catch(() => undefined);
  }

  close(): void {
    for (const origin of [...this.pools.keys()]) this.drop(origin);
  }
}
