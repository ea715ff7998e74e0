// multipart/form-data (RFC 7578) for `media/upload` (docs/wechat-protocol.md §8), parsed by busboy. The body is already
// in memory and bounded by the route's maxBodyBytes; this only splits it into parts.
import busboy from 'busboy';

interface MultipartPart {
  /** The form field name from Content-Disposition. */
  readonly name: string;
  readonly filename: string | undefined;
  /** The part's media type; `text/plain` when it names none (RFC 7578 §4.4). */
  readonly contentType: string;
  readonly data: Buffer;
}

const MAX_PARTS = 16;

/**
 * Splits a multipart/form-data body into its parts. A part without a `form-data`
 * Content-Disposition is skipped, as busboy skips it. Filenames are read as UTF-8, as browsers
 * send them. A part without a filename is a form field:
 * its bytes come back exact (read as latin1) unless it declares a charset of its own.
 * @returns undefined when the Content-Type is not multipart/form-data with a boundary, the body is
 *   malformed or truncated, a part has no name, or there are more than 16 parts; never throws
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): Promise<MultipartPart[] | undefined> {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) return Promise.resolve(undefined);
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: { 'content-type': contentType },
      defCharset: 'latin1',
      defParamCharset: 'utf8',
      limits: { parts: MAX_PARTS },
    });
  } catch {
    return Promise.resolve(undefined); // no boundary, or one busboy cannot use
  }
  return new Promise((resolve) => {
    const parts: Promise<MultipartPart>[] = [];
    let isBad = false;
    const fail = (): void => {
      isBad = true;
      resolve(undefined);
    };
    parser.on('file', (name: string | undefined, stream, info) => {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      // A truncated body errors the part's stream as well as the parser.
      stream.once('error', fail);
      if (name === undefined) {
        stream.resume();
        fail();
        return;
      }
      parts.push(
        new Promise((resolvePart) => {
          stream.once('end', () => {
            resolvePart({ name, filename: info.filename, contentType: info.mimeType, data: Buffer.concat(chunks) });
          });
        }),
      );
    });
    parser.on('field', (name: string | undefined, value, info) => {
      if (name === undefined) {
        fail();
        return;
      }
      parts.push(
        Promise.resolve({ name, filename: undefined, contentType: info.mimeType, data: Buffer.from(value, 'latin1') }),
      );
    });
    parser.once('partsLimit', fail);
    parser.once('error', fail);
    parser.once('close', () => {
      if (!isBad) void Promise.all(parts).then(resolve);
    });
    parser.end(body);
  });
}
