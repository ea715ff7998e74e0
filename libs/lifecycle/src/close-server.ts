import type { Server } from 'node:http';

/** How often a closing listener drops the keep-alive connections that have gone idle since. */
const CLOSE_IDLE_EVERY_MS = 50;

/** Stops accepting; resolves once every connection has closed. */
export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve, reject) => {
    // close() drops the connections idle now; a connection whose last request is still in flight
    // goes idle when it is answered, and would then hold close() open until its keep-alive timeout
    // (65 s), past the shutdown deadline: a reverse proxy keeps a pool of them.
    const sweeper = setInterval(() => {
      server.closeIdleConnections();
    }, CLOSE_IDLE_EVERY_MS);
    server.close((err) => {
      clearInterval(sweeper);
      if (err === undefined) resolve();
      else reject(err);
    });
    server.closeIdleConnections();
  });
}
