import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VECTORS_URL } from '@wxq/testing';
import { buildInboundXml, buildXml, cdata } from './build-xml.js';
import { parseInboundXml } from './parse-message.js';
import { FIXTURES } from '../test/push-fixtures.js';
import { type XmlRecord, parseXml } from './xml.js';

interface FreshVector {
  readonly id: string;
  readonly plaintext_xml: string;
}

function isFreshVector(value: unknown): value is FreshVector {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as Record<string, unknown>)['id'] === 'string' &&
    typeof (value as Record<string, unknown>)['plaintext_xml'] === 'string'
  );
}

/** The `fresh` vectors of docs/wechat-protocol.md §9.2, from the copy kept in the repo. */
function loadFreshVectors(): ReadonlyMap<string, FreshVector> {
  const json: unknown = JSON.parse(readFileSync(VECTORS_URL, 'utf8'));
  const fresh = typeof json === 'object' && json !== null ? (json as Record<string, unknown>)['fresh'] : undefined;
  if (!Array.isArray(fresh)) throw new Error('wechat-crypto-vectors.json has no "fresh" array');
  return new Map(fresh.filter(isFreshVector).map((vector) => [vector.id, vector]));
}

const fresh = loadFreshVectors();

describe('buildInboundXml reproduces the vector plaintext byte for byte', () => {
  // The two the simulator must match exactly, plus the other inbound pushes of docs/wechat-protocol.md §9.2.
  it.each([
    'fresh-safe-text',
    'fresh-safe-event-subscribe-qrscene',
    'fresh-safe-text-utf8-emoji',
    'fresh-safe-text-full-pad-block',
  ])('%s', (id) => {
    const vector = fresh.get(id);
    if (vector === undefined) return expect.unreachable(`vector ${id} is missing`);
    const built = buildInboundXml(parseInboundXml(vector.plaintext_xml));
    expect(built).toBe(vector.plaintext_xml);
    expect(Buffer.from(built, 'utf8').equals(Buffer.from(vector.plaintext_xml, 'utf8'))).toBe(true);
  });
});

describe('buildXml', () => {
  it('writes WeChat style: one root, no whitespace, text in CDATA, numbers bare, arrays repeated', () => {
    expect(
      buildXml({
        ToUserName: 'gh_0123456789ab',
        CreateTime: '1700000000',
        MsgType: 'event',
        Latitude: '23.137466',
        MsgId: 'not-a-number',
        Info: { Count: '2', item: [{ Md5: 'a' }, { Md5: 'b' }] },
        Empty: '',
      }),
    ).toBe(
      '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType>' +
        '<Latitude>23.137466</Latitude><MsgId><![CDATA[not-a-number]]></MsgId>' +
        '<Info><Count>2</Count><item><Md5><![CDATA[a]]></Md5></item><item><Md5><![CDATA[b]]></Md5></item></Info>' +
        '<Empty><![CDATA[]]></Empty></xml>',
    );
  });

  it.each(['x]]>y', ']]>', ']]>]]>', 'a]]]]>b', ']]', ']', '<![CDATA[x]]>', ']]>>', '>]]>'])(
    'CDATA holding %s round-trips',
    (content) => {
      const xml = buildXml({ Content: content });
      expect(parseXml(xml)).toStrictEqual({ Content: content });
      expect(
        parseInboundXml(
          buildXml({
            ToUserName: 'gh',
            FromUserName: 'u',
            CreateTime: '1',
            MsgType: 'text',
            Content: content,
            MsgId: '1',
          }),
        ),
      ).toMatchObject({
        Content: content,
      });
    },
  );

  it('cdata() splits ]]> between two sections', () => {
    expect(cdata('x]]>y')).toBe('<![CDATA[x]]]]><![CDATA[>y]]>');
    expect(cdata('plain')).toBe('<![CDATA[plain]]>');
  });

  it('markup and entities in text are data, not markup', () => {
    const content = '<b>&lt;</b> & <!-- x --> <!DOCTYPE x> <?pi?>';
    expect(parseXml(buildXml({ Content: content }))).toStrictEqual({ Content: content });
  });

  it.each([
    '',
    '1abc',
    '-a',
    '.a',
    'a b',
    'a>b',
    '<a>',
    'a/b',
    'a"b',
    "a'b",
    'a=b',
    '#text',
    'xml:lang',
    'a\nb',
    'a]]>',
  ])('throws TypeError for the element name %j', (name) => {
    expect(() => buildXml({ [name]: 'x' })).toThrow(TypeError);
    expect(() => buildXml({ Outer: { [name]: 'x' } })).toThrow(TypeError);
    expect(() => buildXml({ Outer: [{ ok: '1' }, { [name]: 'x' }] })).toThrow(TypeError);
  });

  it('accepts the names WeChat uses', () => {
    const record: XmlRecord = { Location_X: '1', publish_id: '2', bizmsgmenuid: '3', _x: '4', 'a.b-c': '5' };
    expect(parseXml(buildXml(record))).toStrictEqual(record);
  });
});

describe('parse(build(message)) gives the message back, for every fixture', () => {
  it.each(FIXTURES.map((f) => [f.name, f] as const))('%s', (_name, { message }) => {
    const xml = buildInboundXml(message);
    expect(parseInboundXml(xml)).toStrictEqual(message);
    // Building again gives the same bytes: the builder is a fixed point after one parse.
    expect(buildInboundXml(parseInboundXml(xml))).toBe(xml);
  });
});
