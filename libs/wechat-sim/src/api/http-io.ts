import type { IncomingMessage, ServerResponse } from 'node:http';

type BodyResult =
  { readonly tooLarge: false; readonly body: Buffer } | { readonly tooLarge: true; readonly bytes: number };

/**
 * Reads the whole body, keeping at most `maxBytes`. Past the limit it keeps reading and drops the
 * bytes: answering 413 while the client is still sending makes most clients report a reset
 * instead of the answer.
 */
export async function readBody(req: IncomingMessage, maxBytes: number): Promise<BodyResult> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    bytes += chunk.length;
    if (bytes <= maxBytes) chunks.push(chunk);
  }
  return bytes > maxBytes ? { tooLarge: true, bytes } : { tooLarge: false, body: Buffer.concat(chunks) };
}

/** An answer, as data: handlers return it, `writeReply` is the only code that writes to `res`. */
export interface Reply {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string | Buffer;
  /** What the call log records: 0 for success, null when the answer carries no errcode. */
  readonly errcode: number | null;
}

/** A JSON answer; WeChat answers errors with HTTP 200 and an errcode (docs/wechat-protocol.md §7.1). */
export function jsonReply(value: unknown, errcode: number | null, status = 200): Reply {
  // A client of `media/get` tells an error from the file by this type (docs/wechat-protocol.md §8).
  return {
    status,
    headers: { 'content-type': 'application/json; encoding=utf-8' },
    body: JSON.stringify(value),
    errcode,
  };
}

/** Writes a reply unless the client is gone or an answer already left. */
export function writeReply(res: ServerResponse, reply: Reply): void {
  if (res.destroyed || res.headersSent) return;
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body, 'utf8') : reply.body;
  res.writeHead(reply.status, { ...reply.headers, 'content-length': String(body.length) });
  res.end(body);
}
