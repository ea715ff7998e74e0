import { createServer } from 'node:net';

/**
 * A TCP port that was free on `host` a moment ago: the OS picks one for a listener on port 0,
 * which is closed again. Another process may still take it before the caller binds it.
 */
export function findFreePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host, exclusive: true }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : undefined;
      server.close(() => {
        if (port === undefined) reject(new Error(`no port from a listener on ${host}`));
        else resolve(port);
      });
    });
  });
}
