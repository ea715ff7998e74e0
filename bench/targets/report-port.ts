import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A target tells the bench runner where it listens with one JSON line on stdout. */
export function reportPort(port: number): void {
  process.stdout.write(`${JSON.stringify({ listening: port })}\n`);
}

export function listenOnFreePort(server: Server): void {
  server.listen(0, '127.0.0.1', () => {
    reportPort((server.address() as AddressInfo).port);
  });
}
