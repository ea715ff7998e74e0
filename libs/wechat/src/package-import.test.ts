import * as wechat from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { parseInboundXml } from './parse-message.js';
import { XML_LIMITS } from './xml.js';

// Libs are consumed from source in tests through the "@wxq/source" export condition
// (../../../vitest.config.ts, ../package.json). There is no dist/ to fall back on in a fresh clone,
// and a build would be a different module: identity shows the package name reached src/.
describe('@wxq/wechat by package name', () => {
  it('resolves to the source modules', () => {
    expect(wechat.parseInboundXml).toBe(parseInboundXml);
    expect(wechat.XML_LIMITS).toBe(XML_LIMITS);
  });

  it('exports the public surface', () => {
    const message = wechat.parseInboundXml(
      '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[hello]]></Content><MsgId>9223372036854775001</MsgId></xml>',
    );
    expect(wechat.isKnownMessage(message)).toBe(true);
    expect(wechat.computeDedupKey(message)).toBe('msg:gh_0123456789ab:oABCD1234efgh5678ijkl9012mn:9223372036854775001');
    expect(wechat.parseInboundXml(wechat.buildInboundXml(message))).toStrictEqual(message);
    expect(() => wechat.parseXml('<!DOCTYPE x><xml/>')).toThrow(wechat.XmlError);
    expect(new wechat.XmlError('bad_xml', 'x')).toBeInstanceOf(wechat.WechatProtocolError);
  });
});
