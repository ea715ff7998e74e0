import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildInboundXml } from './build-xml.js';
import { computeDedupKey } from './dedup-key.js';
import { MessageError, XmlError } from './errors.js';
import {
  EVENT_FIELDS,
  type InboundMessage,
  MESSAGE_FIELDS,
  type TextMessage,
  fieldOf,
  isKnownMessage,
} from './messages.js';
import { parseInboundXml } from './parse-message.js';
import { FIXTURES } from '../test/push-fixtures.js';
import { parseXml } from './xml.js';

// Enough runs to find the shapes that break a parser, few enough to keep `npm test` fast.
const NUM_RUNS = 500;

/** Runs `parse`; rethrows anything that is not one of `allowed`, so fast-check reports it. */
function returnsOrThrowsTyped<T>(
  parse: () => T,
  allowed: readonly (abstract new (...args: never[]) => Error)[],
): T | undefined {
  try {
    return parse();
  } catch (error) {
    if (allowed.some((type) => error instanceof type)) return undefined;
    throw error;
  }
}

/** What every message that gets past the parser guarantees (convention 3: nothing re-checks later). */
function checkParsed(message: InboundMessage): void {
  for (const field of ['ToUserName', 'FromUserName', 'CreateTime', 'MsgType'] as const) {
    expect(typeof message[field]).toBe('string');
    expect(message[field]).not.toBe('');
  }
  expect(message.CreateTime).toMatch(/^\d+$/);
  if (isKnownMessage(message)) {
    const fields: readonly string[] =
      message.MsgType === 'event' ? EVENT_FIELDS[message.Event] : [...MESSAGE_FIELDS[message.MsgType], 'MsgId'];
    for (const field of fields) expect(typeof fieldOf(message, field)).toBe('string');
  }
  expect(computeDedupKey(message)).toMatch(/^(msg|evt):/);
}

function checkBody(body: string | Uint8Array): void {
  returnsOrThrowsTyped(() => parseXml(body), [XmlError]);
  const message = returnsOrThrowsTyped(() => parseInboundXml(body), [XmlError, MessageError]);
  if (message !== undefined) checkParsed(message);
}

// Pieces of markup, so random strings reach past the first `<` often enough to be interesting.
const markupPiece = fc.constantFrom(
  '<xml>',
  '</xml>',
  '<a>',
  '</a>',
  '<a/>',
  '<',
  '>',
  '/',
  '</',
  '/>',
  '<![CDATA[',
  ']]>',
  '<!--',
  '-->',
  '<?',
  '?>',
  '<!DOCTYPE x>',
  '<!ENTITY',
  '&',
  ';',
  '&lt;',
  '&#',
  '&#x',
  '"',
  "'",
  '=',
  ' ',
  '\n',
  'x',
  '1',
  '\u0000',
  '\uFEFF',
  '<ToUserName>',
  '</ToUserName>',
  '<FromUserName>',
  '</FromUserName>',
  '<CreateTime>',
  '</CreateTime>',
  '<MsgType>',
  '</MsgType>',
  'event',
  'text',
  '<Event>',
  '</Event>',
  'CLICK',
  'scancode_push',
  '<ScanCodeInfo>',
  '</ScanCodeInfo>',
  '<__proto__>',
  '</__proto__>',
  '<constructor>',
);
const markupSoup = fc.array(markupPiece, { maxLength: 60 }).map((pieces) => pieces.join(''));

type Mutation =
  | { readonly kind: 'flip'; readonly at: number; readonly bit: number }
  | { readonly kind: 'set'; readonly at: number; readonly byte: number }
  | { readonly kind: 'insert'; readonly at: number; readonly bytes: Uint8Array }
  | { readonly kind: 'delete'; readonly at: number; readonly length: number }
  | { readonly kind: 'duplicate'; readonly at: number; readonly length: number }
  | { readonly kind: 'truncate'; readonly at: number };

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }) }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    bytes: markupPiece.map((piece) => new Uint8Array(Buffer.from(piece, 'utf8'))),
  }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 24 }) }),
  fc.record({ kind: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 64 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
);

function mutate(input: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let body = Buffer.from(input);
  for (const m of mutations) {
    const at = m.at % (body.length + 1);
    switch (m.kind) {
      case 'flip':
      case 'set': {
        if (at === body.length) break;
        const copy = Buffer.from(body);
        copy[at] = m.kind === 'flip' ? (copy[at] ?? 0) ^ (1 << m.bit) : m.byte;
        body = copy;
        break;
      }
      case 'insert':
        body = Buffer.concat([body.subarray(0, at), m.bytes, body.subarray(at)]);
        break;
      case 'delete':
        body = Buffer.concat([body.subarray(0, at), body.subarray(at + m.length)]);
        break;
      case 'duplicate':
        body = Buffer.concat([body.subarray(0, at + m.length), body.subarray(at)]);
        break;
      case 'truncate':
        body = body.subarray(0, at);
        break;
    }
  }
  return new Uint8Array(body);
}

const fixtureBytes = fc.constantFrom(...FIXTURES.map((f) => new Uint8Array(Buffer.from(f.xml, 'utf8'))));

describe('hostile input only ever yields typed errors', () => {
  it('arbitrary strings', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 300 }), checkBody), { numRuns: NUM_RUNS });
  });

  it('arbitrary byte arrays', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), checkBody), { numRuns: NUM_RUNS });
  });

  it('markup soup', () => {
    fc.assert(
      fc.property(markupSoup, (soup) => {
        checkBody(soup);
        checkBody(`<xml>${soup}</xml>`);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('fixtures with random byte flips, insertions, deletions and truncations', () => {
    fc.assert(
      fc.property(fixtureBytes, fc.array(mutation, { minLength: 1, maxLength: 6 }), (body, mutations) => {
        const mutated = mutate(body, mutations);
        checkBody(mutated);
        // The same text, had it reached us already decoded.
        checkBody(Buffer.from(mutated).toString('utf8'));
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('fixtures with markup soup spliced in', () => {
    fc.assert(
      fc.property(fc.constantFrom(...FIXTURES.map((f) => f.xml)), fc.nat(), markupSoup, (xml, at, soup) => {
        const cut = at % (xml.length + 1);
        checkBody(xml.slice(0, cut) + soup + xml.slice(cut));
      }),
      { numRuns: NUM_RUNS },
    );
  });
});

// What XML 1.0 can carry (docs/wechat-protocol.md §2.2 Char): no C0 controls except tab/LF/CR, no lone
// surrogates, no U+FFFE/U+FFFF.
const isXmlChar = (char: string): boolean => {
  const code = char.codePointAt(0) ?? 0;
  return (
    code === 0x9 ||
    code === 0xa ||
    code === 0xd ||
    (code >= 0x20 && code <= 0xd7ff) ||
    (code >= 0xe000 && code <= 0xfffd) ||
    code >= 0x10000
  );
};
const keepXmlChars = (value: string): string => Array.from(value).filter(isXmlChar).join('');

// Parsers normalise CR and CRLF to LF (XML 1.0 §2.11), inside CDATA too.
const afterLineEndNormalisation = (value: string): string => value.replace(/\r\n?/g, '\n');

const xmlChar = fc.oneof(
  fc.constantFrom('\t', '\n', '\r', ' '),
  fc.integer({ min: 0x20, max: 0xd7ff }).map((code) => String.fromCodePoint(code)),
  fc.integer({ min: 0xe000, max: 0xfffd }).map((code) => String.fromCodePoint(code)),
  fc.integer({ min: 0x10000, max: 0x10ffff }).map((code) => String.fromCodePoint(code)),
  // The sequences a builder or parser is most likely to get wrong.
  fc.constantFrom(
    ']]>',
    ']]',
    ']',
    '<![CDATA[',
    '<',
    '>',
    '&',
    '&amp;',
    '&#65;',
    '<!--',
    '</Content>',
    '\r\n',
    '\uFEFF',
  ),
);

const contents: readonly (readonly [string, fc.Arbitrary<string>])[] = [
  ['XML characters and markup', fc.string({ unit: xmlChar, maxLength: 80 })],
  ['binary strings restricted to XML characters', fc.string({ unit: 'binary', maxLength: 80 }).map(keepXmlChars)],
  ['graphemes (emoji, CJK, combining marks)', fc.string({ unit: 'grapheme', maxLength: 40 }).map(keepXmlChars)],
  ['composite graphemes', fc.string({ unit: 'grapheme-composite', maxLength: 40 }).map(keepXmlChars)],
  [
    'CJK and emoji',
    fc.string({ unit: fc.constantFrom('你', '好', '队', '列', '👋🏽', '✅', '👨‍👩‍👧', '🇨🇳', ' ', '\n'), maxLength: 40 }),
  ],
];

const headerValue = fc.string({ unit: xmlChar, minLength: 1, maxLength: 30 });
const textMessage = (content: fc.Arbitrary<string>): fc.Arbitrary<TextMessage> =>
  fc.record({
    ToUserName: headerValue,
    FromUserName: headerValue,
    CreateTime: fc.bigInt({ min: 0n, max: 999_999_999_999n }).map(String),
    MsgType: fc.constant('text' as const),
    Content: content,
    MsgId: fc.bigInt({ min: 0n, max: 2n ** 64n - 1n }).map(String),
  });

describe('build then parse gives a text message back', () => {
  it.each(contents)('%s', (_name, content) => {
    fc.assert(
      fc.property(textMessage(content), (message) => {
        const parsed = parseInboundXml(buildInboundXml(message));
        expect(parsed).toStrictEqual({
          ...message,
          ToUserName: afterLineEndNormalisation(message.ToUserName),
          FromUserName: afterLineEndNormalisation(message.FromUserName),
          Content: afterLineEndNormalisation(message.Content),
        });
        // Through bytes as well, as the gateway receives it.
        expect(parseInboundXml(Buffer.from(buildInboundXml(message), 'utf8'))).toStrictEqual(parsed);
      }),
      { numRuns: NUM_RUNS },
    );
  });

  it('a CLICK event with an arbitrary EventKey', () => {
    fc.assert(
      fc.property(headerValue, fc.string({ unit: xmlChar, maxLength: 60 }), (user, eventKey) => {
        const xml = buildInboundXml({
          ToUserName: 'gh_0123456789ab',
          FromUserName: user,
          CreateTime: '1700000000',
          MsgType: 'event',
          Event: 'CLICK',
          EventKey: eventKey,
        });
        expect(parseInboundXml(xml)).toMatchObject({ Event: 'CLICK', EventKey: afterLineEndNormalisation(eventKey) });
      }),
      { numRuns: NUM_RUNS },
    );
  });
});
