import { describe, expect, it } from 'vitest';
import { parseMultipart } from './multipart.js';

const CT = 'multipart/form-data; boundary=XyZ';

function body(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

describe('parseMultipart', () => {
  it('reads a file part with its name, filename, type and exact bytes', () => {
    const bytes = Buffer.from([0, 13, 10, 45, 45, 255]);
    const raw = Buffer.concat([
      body('--XyZ', 'Content-Disposition: form-data; name="media"; filename="a \\"b\\".jpg"', 'Content-Type: image/jpeg', '', ''),
      bytes,
      body('', '--XyZ--', ''),
    ]);
    expect(parseMultipart(CT, raw)).toEqual([{ name: 'media', filename: 'a "b".jpg', contentType: 'image/jpeg', data: bytes }]);
  });

  it('reads several parts, a quoted boundary and a preamble', () => {
    const raw = body('preamble', '--a b', 'Content-Disposition: form-data; name=title', '', 'hello', '--a b', 'Content-Disposition: form-data; name="media"', '', 'x', '--a b--');
    expect(parseMultipart('multipart/form-data; boundary="a b"', raw)).toEqual([
      { name: 'title', filename: undefined, contentType: undefined, data: Buffer.from('hello') },
      { name: 'media', filename: undefined, contentType: undefined, data: Buffer.from('x') },
    ]);
  });

  it.each([
    ['not multipart', 'application/json', body('--XyZ--')],
    ['no boundary', 'multipart/form-data', body('--XyZ--')],
    ['no content type', undefined, body('--XyZ--')],
    ['no delimiter', CT, body('hello')],
    ['no closing delimiter', CT, body('--XyZ', 'Content-Disposition: form-data; name="media"', '', 'x')],
    ['no Content-Disposition', CT, body('--XyZ', 'Content-Type: text/plain', '', 'x', '--XyZ--')],
    ['a header without a colon', CT, body('--XyZ', 'garbage', '', 'x', '--XyZ--')],
    ['no header end', CT, body('--XyZ', 'Content-Disposition: form-data; name="media"')],
  ])('gives undefined for %s', (_name, contentType, raw) => {
    expect(parseMultipart(contentType, raw)).toBeUndefined();
  });

  it('gives an empty list for a body with no parts', () => {
    expect(parseMultipart(CT, body('--XyZ--'))).toEqual([]);
  });
});
