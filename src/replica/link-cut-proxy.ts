// The sidecar's per-replica TCP proxy in front of llama-server: the replica's HTTP address is this
// proxy, so the sidecar can act at the connection the way a network or a dying pod would — cut
// streams after N content events (replica.stream-cut), answer 503 to new connections while the
// replica drains, and follow the engine to a new port when it is restarted.
import { createServer, connect, type Server, type Socket } from 'node:net';

const DRAINING_RESPONSE =
  'HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\nretry-after: 1\r\nconnection: close\r\ncontent-length: 75\r\n\r\n' +
  '{"error":{"message":"replica is draining","type":"unavailable","code":503}}';

const REQUEST_LINE = /^(GET|POST|PUT|DELETE|HEAD|PATCH|OPTIONS) /;

/** Whether the head of a request carries the control plane's probe header. */
function isProbe(head: Buffer): boolean {
  return /\r\nx-halab-probe: *1\r\n/i.test(head.toString('latin1'));
}

/** Counts SSE events that carry generated text (a non-empty delta content) in a chunk of a stream. */
export function contentEvents(chunk: string): number {
  return chunk.match(/"delta":\{[^}]*"content":"(?:[^"\\]|\\.)+"/g)?.length ?? 0;
}

export interface ProxyTarget {
  readonly host: string;
  readonly port: number;
}

export class LinkCutProxy {
  private server: Server | undefined;
  private readonly pairs = new Set<{ client: Socket; upstream: Socket }>();
  /** Cut every stream after this many content events; undefined: no cut. */
  cutAfterEvents: number | undefined;
  /** Answer 503 to new connections. */
  refuseNew = false;
  /** Connections accepted (the replica's request counter: one request per connection at most for probes). */
  connectionsTotal = 0;
  /** Streams cut by the proxy. */
  cutsTotal = 0;
  url = '';

  constructor(
    private readonly host: string,
    private target: ProxyTarget | undefined,
  ) {}

  setTarget(target: ProxyTarget | undefined): void {
    this.target = target;
  }

  async listen(port = 0): Promise<string> {
    this.server = createServer((client) => this.accept(client));
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, this.host, () => resolve());
    });
    const bound = (this.server.address() as { port: number }).port;
    this.url = `http://${this.host}:${bound}`;
    return this.url;
  }

  private accept(client: Socket): void {
    this.connectionsTotal += 1;
    client.on('error', () => undefined);
    if (!this.target) {
      client.destroy();
      return;
    }
    if (this.refuseNew) {
      // a draining replica still answers the control plane's probes (draining is not ill health)
      client.once('data', (first: Buffer) => {
        if (!this.target || !isProbe(first)) {
          client.end(DRAINING_RESPONSE);
          return;
        }
        this.relay(client, this.target, first);
      });
      return;
    }
    this.relay(client, this.target);
  }

  private relay(client: Socket, target: ProxyTarget, first?: Buffer): void {
    const upstream = connect(target.port, target.host);
    const pair = { client, upstream };
    this.pairs.add(pair);
    let events = 0;
    const end = (): void => {
      this.pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    upstream.on('error', end);
    client.on('error', end);
    upstream.on('close', end);
    client.on('close', end);
    client.on('data', (data: Buffer) => {
      // while draining, a new request on a kept-alive connection is refused like a new connection
      if (this.refuseNew && REQUEST_LINE.test(data.toString('latin1', 0, 8)) && !isProbe(data)) {
        this.pairs.delete(pair);
        upstream.destroy();
        client.end(DRAINING_RESPONSE);
        return;
      }
      if (!upstream.write(data)) {
        client.pause();
        upstream.once('drain', () => client.resume());
      }
    });
    client.on('end', () => upstream.end());
    if (first) upstream.write(first);
    upstream.on('data', (data: Buffer) => {
      if (this.cutAfterEvents !== undefined) {
        events += contentEvents(data.toString('utf8'));
        if (events > this.cutAfterEvents) {
          this.cutsTotal += 1;
          // a cut at the connection: what was already relayed stays relayed, the rest is lost
          client.resetAndDestroy();
          end();
          return;
        }
      }
      if (!client.write(data)) {
        upstream.pause();
        client.once('drain', () => upstream.resume());
      }
    });
  }

  /** Ends every open connection at once. */
  cutAll(): void {
    for (const p of [...this.pairs]) {
      p.client.resetAndDestroy();
      p.upstream.destroy();
    }
    this.pairs.clear();
  }

  close(): Promise<void> {
    this.cutAll();
    return new Promise((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
