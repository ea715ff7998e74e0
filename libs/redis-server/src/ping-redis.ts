import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

/**
 * Sends PING over a raw socket (TLS when `tls` gives the CA to trust): true for +PONG, false for
 * any other reply (such as -LOADING). Rejects when the connection fails or no reply comes within
 * `timeoutMs`. A raw socket, unlike a client library, does not reconnect or queue behind our back
 * while a server is starting.
 */
export function pingRedis(
  port: number,
  host = '127.0.0.1',
  timeoutMs = 1_000,
  tls?: { readonly ca: string },
): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const socket = tls === undefined ? connect({ port, host }) : connectTls({ port, host, ca: tls.ca });
    let reply = '';
    socket.setEncoding('latin1');
    socket.setTimeout(timeoutMs, () => {
      socket.destroy(new Error(`no reply to PING from ${host}:${port} within ${timeoutMs} ms`));
    });
    socket.once(tls === undefined ? 'connect' : 'secureConnect', () => {
      socket.write('PING\r\n');
    });
    socket.on('data', (chunk: string) => {
      reply += chunk;
      const end = reply.indexOf('\r\n');
      if (end === -1) return;
      socket.destroy();
      resolve(reply.slice(0, end) === '+PONG');
    });
    socket.once('error', reject);
    // A no-op once settled; otherwise the server hung up without answering.
    socket.once('close', () => {
      reject(new Error(`${host}:${port} closed the connection without answering PING`));
    });
  });
}
