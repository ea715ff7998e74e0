import type { IncomingMessage } from 'node:http';
import { GatewayError } from './errors.js';

/**
 * The request body as bytes, at most `maxBytes`: signing and decryption need the exact bytes, and
 * a body over the limit is refused as soon as it is known to be (Content-Length, or while chunks
 * arrive) rather than buffered.
 * @throws GatewayError `body_too_large` or `body_aborted`
 */
export function readRawBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  const declared = req.headers['content-length'];
  if (declared !== undefined && Number(declared) > maxBytes) {
    req.resume();
    return Promise.reject(new GatewayError('body_too_large', `body over ${maxBytes} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('aborted', onAborted);
    };
    const fail = (error: GatewayError) => {
      cleanup();
      req.resume();
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) fail(new GatewayError('body_too_large', `body over ${maxBytes} bytes`));
      else chunks.push(chunk);
    };
    const onEnd = () => {
      cleanup();
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size));
    };
    const onError = (cause: Error) => {
      fail(new GatewayError('body_aborted', 'request body failed', { cause }));
    };
    const onAborted = () => {
      fail(new GatewayError('body_aborted', 'client aborted the request'));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('aborted', onAborted);
  });
}
