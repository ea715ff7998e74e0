// Just enough of multipart/form-data (RFC 7578) for `media/upload` (§8): parts separated by
// `--boundary`, headers up to an empty line, content up to CRLF + the next delimiter.

export interface MultipartPart {
  /** The form field name from Content-Disposition. */
  readonly name: string;
  readonly filename: string | undefined;
  readonly contentType: string | undefined;
  readonly data: Buffer;
}

const CRLF = Buffer.from('\r\n');
const HEADER_END = Buffer.from('\r\n\r\n');
const MAX_PARTS = 16;
const BOUNDARY = /;\s*boundary=(?:"([^"]{1,70})"|([^\s;"]{1,70}))/i;

/**
 * Splits a multipart/form-data body into its parts.
 * @returns undefined when the Content-Type is not multipart/form-data or the body is malformed
 */
export function parseMultipart(contentType: string | undefined, body: Buffer): MultipartPart[] | undefined {
  if (contentType === undefined || !/^multipart\/form-data\s*;/i.test(contentType)) return undefined;
  const match = BOUNDARY.exec(contentType);
  const boundary = match?.[1] ?? match?.[2];
  if (boundary === undefined) return undefined;
  const delimiter = Buffer.from(`--${boundary}`);
  const nextDelimiter = Buffer.concat([CRLF, delimiter]);

  // The first delimiter starts the body or follows a preamble that ends in CRLF.
  let position = body.subarray(0, delimiter.length).equals(delimiter) ? 0 : body.indexOf(nextDelimiter);
  if (position < 0) return undefined;
  if (position > 0) position += CRLF.length;
  const parts: MultipartPart[] = [];
  for (;;) {
    position += delimiter.length;
    if (body.subarray(position, position + 2).toString('latin1') === '--') return parts;
    if (!body.subarray(position, position + 2).equals(CRLF) || parts.length === MAX_PARTS) return undefined;
    const headersStart = position + CRLF.length;
    const headersEnd = body.indexOf(HEADER_END, headersStart - CRLF.length);
    if (headersEnd < 0) return undefined;
    const contentStart = headersEnd + HEADER_END.length;
    const contentEnd = body.indexOf(nextDelimiter, contentStart);
    if (contentEnd < 0) return undefined;
    const part = toPart(body.subarray(headersStart, Math.max(headersStart, headersEnd)).toString('utf8'), body.subarray(contentStart, contentEnd));
    if (part === undefined) return undefined;
    parts.push(part);
    position = contentEnd + CRLF.length;
  }
}

function toPart(headerText: string, data: Buffer): MultipartPart | undefined {
  const headers = new Map<string, string>();
  for (const line of headerText === '' ? [] : headerText.split('\r\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) return undefined;
    headers.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
  }
  const disposition = headers.get('content-disposition');
  if (disposition === undefined || !/^form-data\b/i.test(disposition)) return undefined;
  const name = dispositionParam(disposition, 'name');
  if (name === undefined) return undefined;
  return { name, filename: dispositionParam(disposition, 'filename'), contentType: headers.get('content-type'), data: Buffer.from(data) };
}

function dispositionParam(disposition: string, param: string): string | undefined {
  const match = new RegExp(`;\\s*${param}=(?:"((?:[^"\\\\]|\\\\.)*)"|([^;\\s"]+))`, 'i').exec(disposition);
  const quoted = match?.[1];
  return quoted === undefined ? match?.[2] : quoted.replace(/\\(.)/g, '$1');
}
