import { createMessage } from '@wxq/wechat-sim';
import { type InboundMessage, parseInboundXml } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { quotaEffectOf } from './grants.js';

function event(name: string, extra = ''): InboundMessage {
  return parseInboundXml(
    `<xml><ToUserName><![CDATA[gh_1]]></ToUserName><FromUserName><![CDATA[o1]]></FromUserName><CreateTime>1700000000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${name}]]></Event>${extra}</xml>`,
  );
}

describe('quotaEffectOf (docs/wechat-protocol.md §7.4)', () => {
  it('user messages grant the message window', () => {
    expect(quotaEffectOf(createMessage.text('hi'))).toEqual({ grant: 'message' });
    expect(quotaEffectOf(createMessage.image())).toEqual({ grant: 'message' });
  });

  it('a msgmenu tap arrives as text but counts as a menu click', () => {
    expect(quotaEffectOf({ ...createMessage.text('yes'), bizmsgmenuid: '101' })).toEqual({ grant: 'event' });
  });

  it('follow, scan and the three menu-click events grant the event window', () => {
    for (const name of ['subscribe', 'SCAN', 'CLICK', 'scancode_push', 'scancode_waitmsg']) {
      expect(quotaEffectOf(event(name, '<EventKey><![CDATA[k]]></EventKey>')), name).toEqual({ grant: 'event' });
    }
  });

  it('unfollow closes the windows; VIEW, LOCATION and delivery reports grant nothing', () => {
    expect(quotaEffectOf(event('unsubscribe'))).toEqual({ close: true });
    expect(quotaEffectOf(event('VIEW', '<EventKey><![CDATA[https://x]]></EventKey>'))).toBeUndefined();
    expect(
      quotaEffectOf(event('TEMPLATESENDJOBFINISH', '<MsgID>1</MsgID><Status><![CDATA[success]]></Status>')),
    ).toBeUndefined();
    expect(quotaEffectOf(event('some_new_event'))).toBeUndefined();
  });
});
