import { loadWechatVectors as loadVectors } from '@wxq/testing';
import { describe, expect, it } from 'vitest';
import type { CustomMessage } from './custom-message.js';
import { buildEncryptedEnvelope, sealMessage } from './envelope.js';
import { createMessageCrypto } from './message-crypto.js';
import { buildPassiveReplyXml, isPassiveCapable } from './passive-reply.js';
import { parseXml } from './xml.js';

const header = { fromUserName: 'gh_0123456789ab', createTime: '1700000001' };
const touser = 'oABCD1234efgh5678ijkl9012mn';

describe('passive reply XML', () => {
  it('fresh-reply-text: the plaintext byte for byte, and its envelope sealed from it', () => {
    const reply = loadVectors().fresh.find((v) => v.id === 'fresh-reply-text');
    if (reply?.reply_envelope === undefined) throw new Error('vector fresh-reply-text is missing');
    const xml = buildPassiveReplyXml({ touser, msgtype: 'text', text: { content: '收到 ✅' } }, header);
    expect(xml).toBe(reply.plaintext_xml);
    const crypto = createMessageCrypto({
      appId: reply.appid,
      encodingAESKey: reply.encodingAESKey,
      randomPrefix: () => Buffer.from(reply.random16_hex, 'hex'),
    });
    expect(buildEncryptedEnvelope(sealMessage(crypto, reply, xml))).toBe(reply.reply_envelope);
  });

  it('splits CDATA on ]]> so hostile content cannot close the element', () => {
    const content = 'a]]></Content><MsgType>image</MsgType><![CDATA[b';
    const xml = buildPassiveReplyXml({ touser, msgtype: 'text', text: { content } }, header);
    expect(xml).toContain('<![CDATA[a]]]]><![CDATA[></Content>');
    expect(parseXml(xml)).toMatchObject({ MsgType: 'text', Content: content });
  });

  it('builds every passive-capable type with the fields of docs/wechat-protocol.md §5.2', () => {
    const cases: [CustomMessage, Record<string, unknown>][] = [
      [
        { touser, msgtype: 'image', image: { media_id: 'm1' } },
        { MsgType: 'image', Image: { MediaId: 'm1' } },
      ],
      [
        { touser, msgtype: 'voice', voice: { media_id: 'm2' } },
        { MsgType: 'voice', Voice: { MediaId: 'm2' } },
      ],
      [
        { touser, msgtype: 'video', video: { media_id: 'm3', title: 't', description: 'd' } },
        { MsgType: 'video', Video: { MediaId: 'm3', Title: 't', Description: 'd' } },
      ],
      [
        {
          touser,
          msgtype: 'music',
          music: { title: 't', musicurl: 'http://m', hqmusicurl: 'http://hq', thumb_media_id: 'th' },
        },
        { MsgType: 'music', Music: { Title: 't', MusicUrl: 'http://m', HQMusicUrl: 'http://hq', ThumbMediaId: 'th' } },
      ],
      [
        { touser, msgtype: 'news', news: { articles: [{ title: 't', url: 'https://u', picurl: 'https://p' }] } },
        {
          MsgType: 'news',
          ArticleCount: '1',
          Articles: { item: { Title: 't', PicUrl: 'https://p', Url: 'https://u' } },
        },
      ],
    ];
    for (const [message, expected] of cases) {
      expect(isPassiveCapable(message)).toBe(true);
      const xml = buildPassiveReplyXml(message, header);
      expect(xml.startsWith(`<xml><ToUserName><![CDATA[${touser}]]></ToUserName>`)).toBe(true);
      expect(parseXml(xml)).toEqual({
        ToUserName: touser,
        FromUserName: header.fromUserName,
        CreateTime: '1700000001',
        ...expected,
      });
    }
    const news = cases.find(([m]) => m.msgtype === 'news')?.[0];
    if (news === undefined) throw new Error('the news case is missing');
    expect(buildPassiveReplyXml(news, header)).toContain('<ArticleCount>1</ArticleCount>');
  });

  it('has no passive form for menus, cards, mini-program pages, article ids or news with two articles', () => {
    const article = { title: 't', url: 'https://u' };
    const without: CustomMessage[] = [
      { touser, msgtype: 'msgmenu', msgmenu: { list: [{ id: '1', content: 'yes' }] } },
      { touser, msgtype: 'wxcard', wxcard: { card_id: 'c' } },
      {
        touser,
        msgtype: 'miniprogrampage',
        miniprogrampage: { title: 't', appid: 'wx1', pagepath: 'p', thumb_media_id: 'm' },
      },
      { touser, msgtype: 'mpnewsarticle', mpnewsarticle: { article_id: 'a' } },
      { touser, msgtype: 'mpnews', mpnews: { media_id: 'm' } },
      { touser, msgtype: 'news', news: { articles: [article, article] as unknown as [typeof article] } },
    ];
    for (const message of without) {
      expect(isPassiveCapable(message)).toBe(false);
      expect(() => buildPassiveReplyXml(message, header)).toThrow(TypeError);
    }
  });
});
