import { describe, expect, it } from 'vitest';
import { parseMultipart } from './multipart.js';

const CT = 'multipart/form-data; boundary=XyZ';

function body(...lines: string[]): Buffer {
  return Buffer.from(lines.join('\r\n'), 'latin1');
}

describe('parseMultipart', () => {
  it('reads a file part with its name, filename, type and exact bytes', async () => {
    const bytes = Buffer.from([0, 13, 10, 45, 45, 255]);
    const raw = Buffer.concat([
      body(
        '--XyZ',
        'Content-Disposition: form-data; name="media"; filename="a \\"b\\".jpg"',
        'Content-Type: image/jpeg',
        '',
        '',
      ),
      bytes,
      body('', '--XyZ--', ''),
    ]);
    expect(await parseMultipart(CT, raw)).toEqual([
      { name: 'media', filename: 'a "b".jpg', contentType: 'image/jpeg', data: bytes },
    ]);
  });

  it('reads several parts, a quoted boundary and a preamble; a part without a Content-Type is text/plain (RFC 7578 §4.4)', async () => {
    const raw = body(
      'preamble',
      '--a b',
      'Content-Disposition: form-data; name=title',
      '',
      'hello',
      '--a b',
      'Content-Disposition: form-data; name="media"',
      '',
      'x',
      '--a b--',
    );
    expect(await parseMultipart('multipart/form-data; boundary="a b"', raw)).toEqual([
      { name: 'title', filename: undefined, contentType: 'text/plain', data: Buffer.from('hello') },
      { name: 'media', filename: undefined, contentType: 'text/plain', data: Buffer.from('x') },
    ]);
  });

  it.each([
    ['not multipart', 'application/json', body('--XyZ--')],
    ['no boundary', 'multipart/form-data', body('--XyZ--')],
    ['no content type', undefined, body('--XyZ--')],
    ['no delimiter', CT, body('hello')],
    ['no closing delimiter', CT, body('--XyZ', 'Content-Disposition: form-data; name="media"', '', 'x')],
    ['a part without a name', CT, body('--XyZ', 'Content-Disposition: form-data; filename="x"', '', 'x', '--XyZ--')],
    [
      'more than 16 parts',
      CT,
      body(
        ...Array.from({ length: 17 }, () => ['--XyZ', 'Content-Disposition: form-data; name="a"', '', 'x']).flat(),
        '--XyZ--',
      ),
    ],
    ['a header without a colon', CT, body('--XyZ', 'garbage', '', 'x', '--XyZ--')],
    ['no header end', CT, body('--XyZ', 'Content-Disposition: form-data; name="media"')],
  ])('gives undefined for %s', async (_name, contentType, raw) => {
    expect(await parseMultipart(contentType, raw)).toBeUndefined();
  });

  it('gives an empty list for a body with no parts', async () => {
    expect(await parseMultipart(CT, body('--XyZ--'))).toEqual([]);
  });

  it('skips a part without a form-data Content-Disposition (busboy does), so it is never the media part', async () => {
    expect(await parseMultipart(CT, body('--XyZ', 'Content-Type: text/plain', '', 'x', '--XyZ--'))).toEqual([]);
    const mixed = body(
      '--XyZ',
      'Content-Disposition: attachment; name="media"',
      '',
      'x',
      '--XyZ',
      'Content-Disposition: form-data; name="media"; filename="m.jpg"',
      '',
      'y',
      '--XyZ--',
    );
    expect(await parseMultipart(CT, mixed)).toEqual([
      { name: 'media', filename: 'm.jpg', contentType: 'text/plain', data: Buffer.from('y') },
    ]);
  });

  it("reads a UTF-8 filename and keeps a field's bytes exact", async () => {
    const raw = Buffer.concat([
      body(
        '--XyZ',
        `Content-Disposition: form-data; name="media"; filename="${Buffer.from('图片.jpg', 'utf8').toString('latin1')}"`,
        '',
        'x',
        '--XyZ',
        'Content-Disposition: form-data; name="raw"',
        '',
        '',
      ),
      Buffer.from([0xff, 0x00, 0xe4]),
      body('', '--XyZ--'),
    ]);
    const parts = await parseMultipart(CT, raw);
    expect(parts?.map((part) => part.filename)).toEqual(['图片.jpg', undefined]);
    expect(parts?.[1]?.data).toEqual(Buffer.from([0xff, 0x00, 0xe4]));
  });
});
