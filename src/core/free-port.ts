// A free TCP port for a helper process that cannot bind port 0 itself (etcd, Toxiproxy's proxies).
import { createServer } from 'node:net';

/** A free TCP port on host: bound and released at once, for the caller to bind right after. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}
