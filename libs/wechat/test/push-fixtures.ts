// Pushes exactly as WeChat sends them (protocol docs/wechat-protocol.md §2.3, §4.2, §4.3): CDATA for
// text, bare numbers for the numeric fields, some pretty-printed, some compact. Each comes with
// the message parseInboundXml must return. Shared by the parser, dedup-key and builder tests.
import type {
  ClickEvent,
  ImageMessage,
  InboundMessage,
  KfSessionEvent,
  KfSwitchSessionEvent,
  LinkMessage,
  LocationEvent,
  LocationMessage,
  LocationSelectEvent,
  MassSendJobFinishEvent,
  PicEvent,
  PublishJobFinishEvent,
  ScanCodeEvent,
  ScanEvent,
  ShortVideoMessage,
  SubscribeEvent,
  SubscribeMsgChangeEvent,
  SubscribeMsgPopupEvent,
  SubscribeMsgSentEvent,
  TemplateSendJobFinishEvent,
  TextMessage,
  UnknownPush,
  UnsubscribeEvent,
  VideoMessage,
  ViewEvent,
  ViewMiniprogramEvent,
  VoiceMessage,
} from '../src/messages.js';

export const ACCOUNT = 'gh_0123456789ab';
export const USER = 'oABCD1234efgh5678ijkl9012mn';
export const OTHER_USER = 'o9AgO5Kd5ggOC-bXrbNODIiE3bGY';

export interface PushFixture {
  readonly name: string;
  /** The body as WeChat pushes it. */
  readonly xml: string;
  /** What parseInboundXml returns for it. */
  readonly message: InboundMessage;
  /** The variant the message narrows to: `MsgType`, `event:<Event>`, or `unknown`. */
  readonly variant: string;
}

const header = { ToUserName: ACCOUNT, FromUserName: USER } as const;

export const FIXTURES: readonly PushFixture[] = [
  // ---- ordinary messages (docs/wechat-protocol.md §4.2) ----
  {
    name: 'text, pretty-printed (docs/wechat-protocol.md §2.3), MsgId above 2^53',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700000000</CreateTime>
  <MsgType><![CDATA[text]]></MsgType>
  <Content><![CDATA[hello]]></Content>
  <MsgId>9223372036854775001</MsgId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700000000',
      MsgType: 'text',
      Content: 'hello',
      MsgId: '9223372036854775001',
    } satisfies TextMessage,
    variant: 'text',
  },
  {
    name: 'text, compact, CJK and emoji, MsgId 6054768590064713728',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000456</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[你好，世界 👋🏽 /::)]]></Content><MsgId>6054768590064713728</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700000456',
      MsgType: 'text',
      Content: '你好，世界 👋🏽 /::)',
      MsgId: '6054768590064713728',
    } satisfies TextMessage,
    variant: 'text',
  },
  {
    name: 'text from a msgmenu click (bizmsgmenuid)',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000500</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[满意]]></Content><MsgId>24321234567890123999</MsgId><bizmsgmenuid>101</bizmsgmenuid></xml>',
    message: {
      ...header,
      CreateTime: '1700000500',
      MsgType: 'text',
      Content: '满意',
      MsgId: '24321234567890123999',
      bizmsgmenuid: '101',
    } satisfies TextMessage,
    variant: 'text',
  },
  {
    name: 'text from an article (MsgDataId + Idx)',
    xml: `<xml>
    <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
    <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
    <CreateTime>1700000600</CreateTime>
    <MsgType><![CDATA[text]]></MsgType>
    <Content><![CDATA[写得好]]></Content>
    <MsgId>3487542469355618313</MsgId>
    <MsgDataId>2247483650</MsgDataId>
    <Idx>1</Idx>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700000600',
      MsgType: 'text',
      Content: '写得好',
      MsgId: '3487542469355618313',
      MsgDataId: '2247483650',
      Idx: '1',
    } satisfies TextMessage,
    variant: 'text',
  },
  {
    name: 'text in compatible mode: the extra Encrypt element survives',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000700</CreateTime><MsgType><![CDATA[text]]></MsgType><Content><![CDATA[compat]]></Content><MsgId>6054768590064713729</MsgId><Encrypt><![CDATA[aw3Tjb31Xmg91ZiaU8E1CL4HAmTjdxdyQ64C9QScoIvR]]></Encrypt></xml>',
    message: {
      ...header,
      CreateTime: '1700000700',
      MsgType: 'text',
      Content: 'compat',
      MsgId: '6054768590064713729',
      Encrypt: 'aw3Tjb31Xmg91ZiaU8E1CL4HAmTjdxdyQ64C9QScoIvR',
    } satisfies TextMessage & { Encrypt: string },
    variant: 'text',
  },
  {
    name: 'text with MsgType in upper case',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000800</CreateTime><MsgType><![CDATA[TEXT]]></MsgType><Content><![CDATA[shout]]></Content><MsgId>1234567890123456</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700000800',
      MsgType: 'text',
      Content: 'shout',
      MsgId: '1234567890123456',
    } satisfies TextMessage,
    variant: 'text',
  },
  {
    name: 'image',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700001000</CreateTime>
  <MsgType><![CDATA[image]]></MsgType>
  <PicUrl><![CDATA[http://mmbiz.qpic.cn/mmbiz_jpg/abc/0]]></PicUrl>
  <MsgId>6054768590064713730</MsgId>
  <MediaId><![CDATA[Gmk7_9sOcAyKmH0uTn7oGgVdHX5GKmgvRJtC4gkwCjKJb]]></MediaId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700001000',
      MsgType: 'image',
      PicUrl: 'http://mmbiz.qpic.cn/mmbiz_jpg/abc/0',
      MsgId: '6054768590064713730',
      MediaId: 'Gmk7_9sOcAyKmH0uTn7oGgVdHX5GKmgvRJtC4gkwCjKJb',
    } satisfies ImageMessage,
    variant: 'image',
  },
  {
    name: 'voice without Recognition',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700001100</CreateTime><MsgType><![CDATA[voice]]></MsgType><MediaId><![CDATA[voice_media_1]]></MediaId><Format><![CDATA[amr]]></Format><MsgId>6054768590064713731</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700001100',
      MsgType: 'voice',
      MediaId: 'voice_media_1',
      Format: 'amr',
      MsgId: '6054768590064713731',
    } satisfies VoiceMessage,
    variant: 'voice',
  },
  {
    name: 'voice with Recognition',
    xml: `<xml>
<ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700001200</CreateTime>
<MsgType><![CDATA[voice]]></MsgType>
<MediaId><![CDATA[voice_media_2]]></MediaId>
<Format><![CDATA[speex]]></Format>
<Recognition><![CDATA[腾讯微信团队]]></Recognition>
<MsgId>6054768590064713732</MsgId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700001200',
      MsgType: 'voice',
      MediaId: 'voice_media_2',
      Format: 'speex',
      Recognition: '腾讯微信团队',
      MsgId: '6054768590064713732',
    } satisfies VoiceMessage,
    variant: 'voice',
  },
  {
    name: 'video',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700001300</CreateTime><MsgType><![CDATA[video]]></MsgType><MediaId><![CDATA[video_media]]></MediaId><ThumbMediaId><![CDATA[video_thumb]]></ThumbMediaId><MsgId>6054768590064713733</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700001300',
      MsgType: 'video',
      MediaId: 'video_media',
      ThumbMediaId: 'video_thumb',
      MsgId: '6054768590064713733',
    } satisfies VideoMessage,
    variant: 'video',
  },
  {
    name: 'shortvideo',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700001400</CreateTime>
  <MsgType><![CDATA[shortvideo]]></MsgType>
  <MediaId><![CDATA[short_media]]></MediaId>
  <ThumbMediaId><![CDATA[short_thumb]]></ThumbMediaId>
  <MsgId>6054768590064713734</MsgId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700001400',
      MsgType: 'shortvideo',
      MediaId: 'short_media',
      ThumbMediaId: 'short_thumb',
      MsgId: '6054768590064713734',
    } satisfies ShortVideoMessage,
    variant: 'shortvideo',
  },
  {
    name: 'location',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700001500</CreateTime>
  <MsgType><![CDATA[location]]></MsgType>
  <Location_X>23.134521</Location_X>
  <Location_Y>113.358803</Location_Y>
  <Scale>20</Scale>
  <Label><![CDATA[广州市海珠区客村艺苑路 106号]]></Label>
  <MsgId>6054768590064713735</MsgId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700001500',
      MsgType: 'location',
      Location_X: '23.134521',
      Location_Y: '113.358803',
      Scale: '20',
      Label: '广州市海珠区客村艺苑路 106号',
      MsgId: '6054768590064713735',
    } satisfies LocationMessage,
    variant: 'location',
  },
  {
    name: 'link',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700001600</CreateTime><MsgType><![CDATA[link]]></MsgType><Title><![CDATA[公众平台官网链接]]></Title><Description><![CDATA[公众平台官网链接 & more <b>]]></Description><Url><![CDATA[https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1]]></Url><MsgId>6054768590064713736</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700001600',
      MsgType: 'link',
      Title: '公众平台官网链接',
      Description: '公众平台官网链接 & more <b>',
      Url: 'https://mp.weixin.qq.com/s?__biz=MzA&mid=1&idx=1',
      MsgId: '6054768590064713736',
    } satisfies LinkMessage,
    variant: 'link',
  },

  // ---- subscription and QR codes (docs/wechat-protocol.md §4.3) ----
  {
    name: 'subscribe, plain (no EventKey)',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700002000</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[subscribe]]></Event>
</xml>`,
    message: { ...header, CreateTime: '1700002000', MsgType: 'event', Event: 'subscribe' } satisfies SubscribeEvent,
    variant: 'event:subscribe',
  },
  {
    name: 'subscribe, plain (empty EventKey)',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002001</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>',
    message: {
      ...header,
      CreateTime: '1700002001',
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: '',
    } satisfies SubscribeEvent,
    variant: 'event:subscribe',
  },
  {
    name: 'subscribe from a parametric QR code (qrscene_ + Ticket)',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700000123</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_campaign42]]></EventKey><Ticket><![CDATA[gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==]]></Ticket></xml>',
    message: {
      ...header,
      CreateTime: '1700000123',
      MsgType: 'event',
      Event: 'subscribe',
      EventKey: 'qrscene_campaign42',
      Ticket: 'gQH47joAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2taZ2Z3TVRtNzJXV1Brb3ZhYmJJAAIEZ23sUwMEmm3sUw==',
    } satisfies SubscribeEvent,
    variant: 'event:subscribe',
  },
  {
    name: 'unsubscribe',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002100</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[unsubscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>',
    message: {
      ...header,
      CreateTime: '1700002100',
      MsgType: 'event',
      Event: 'unsubscribe',
      EventKey: '',
    } satisfies UnsubscribeEvent,
    variant: 'event:unsubscribe',
  },
  {
    name: 'SCAN',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700002200</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[SCAN]]></Event>
  <EventKey><![CDATA[123123]]></EventKey>
  <Ticket><![CDATA[gQHi8DoAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2Vrd0dZMzdsdUVFR0RTWmlPMkZ5AAIE]]></Ticket>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700002200',
      MsgType: 'event',
      Event: 'SCAN',
      EventKey: '123123',
      Ticket: 'gQHi8DoAAAAAAAAAASxodHRwOi8vd2VpeGluLnFxLmNvbS9xL2Vrd0dZMzdsdUVFR0RTWmlPMkZ5AAIE',
    } satisfies ScanEvent,
    variant: 'event:SCAN',
  },
  {
    name: 'SCAN spelled in lower case',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002201</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scan]]></Event><EventKey><![CDATA[scene_str_1]]></EventKey><Ticket><![CDATA[TICKET]]></Ticket></xml>',
    message: {
      ...header,
      CreateTime: '1700002201',
      MsgType: 'event',
      Event: 'SCAN',
      EventKey: 'scene_str_1',
      Ticket: 'TICKET',
    } satisfies ScanEvent,
    variant: 'event:SCAN',
  },

  // ---- location report ----
  {
    name: 'LOCATION',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700002300</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[LOCATION]]></Event>
  <Latitude>23.137466</Latitude>
  <Longitude>113.352425</Longitude>
  <Precision>119.385040</Precision>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700002300',
      MsgType: 'event',
      Event: 'LOCATION',
      Latitude: '23.137466',
      Longitude: '113.352425',
      Precision: '119.385040',
    } satisfies LocationEvent,
    variant: 'event:LOCATION',
  },

  // ---- custom menu ----
  {
    name: 'CLICK',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002400</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[V1001_TODAY_MUSIC]]></EventKey></xml>',
    message: {
      ...header,
      CreateTime: '1700002400',
      MsgType: 'event',
      Event: 'CLICK',
      EventKey: 'V1001_TODAY_MUSIC',
    } satisfies ClickEvent,
    variant: 'event:CLICK',
  },
  {
    name: 'VIEW with MenuId',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700002500</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[VIEW]]></Event>
  <EventKey><![CDATA[https://www.qq.com/?a=1&b=2]]></EventKey>
  <MenuId>208379533</MenuId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700002500',
      MsgType: 'event',
      Event: 'VIEW',
      EventKey: 'https://www.qq.com/?a=1&b=2',
      MenuId: '208379533',
    } satisfies ViewEvent,
    variant: 'event:VIEW',
  },
  {
    name: 'view_miniprogram',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[view_miniprogram]]></Event><EventKey><![CDATA[pages/index/index]]></EventKey><MenuId>MENUID</MenuId></xml>',
    message: {
      ...header,
      CreateTime: '1700002600',
      MsgType: 'event',
      Event: 'view_miniprogram',
      EventKey: 'pages/index/index',
      MenuId: 'MENUID',
    } satisfies ViewMiniprogramEvent,
    variant: 'event:view_miniprogram',
  },
  {
    name: 'scancode_push',
    xml: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700002700</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[scancode_push]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<ScanCodeInfo><ScanType><![CDATA[qrcode]]></ScanType><ScanResult><![CDATA[1]]></ScanResult></ScanCodeInfo>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700002700',
      MsgType: 'event',
      Event: 'scancode_push',
      EventKey: '6',
      ScanCodeInfo: { ScanType: 'qrcode', ScanResult: '1' },
    } satisfies ScanCodeEvent,
    variant: 'event:scancode_push',
  },
  {
    name: 'scancode_waitmsg',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700002800</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[scancode_waitmsg]]></Event><EventKey><![CDATA[6]]></EventKey><ScanCodeInfo><ScanType><![CDATA[barcode]]></ScanType><ScanResult><![CDATA[EAN_13,6901234567892]]></ScanResult></ScanCodeInfo></xml>',
    message: {
      ...header,
      CreateTime: '1700002800',
      MsgType: 'event',
      Event: 'scancode_waitmsg',
      EventKey: '6',
      ScanCodeInfo: { ScanType: 'barcode', ScanResult: 'EAN_13,6901234567892' },
    } satisfies ScanCodeEvent,
    variant: 'event:scancode_waitmsg',
  },
  {
    name: 'pic_sysphoto, one picture',
    xml: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700002900</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[pic_sysphoto]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<SendPicsInfo><Count>1</Count>
<PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum>
</item>
</PicList>
</SendPicsInfo>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700002900',
      MsgType: 'event',
      Event: 'pic_sysphoto',
      EventKey: '6',
      SendPicsInfo: { Count: '1', PicList: { item: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }] } },
    } satisfies PicEvent,
    variant: 'event:pic_sysphoto',
  },
  {
    name: 'pic_photo_or_album, two pictures in one PicList',
    xml: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700003000</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[pic_photo_or_album]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<SendPicsInfo><Count>2</Count>
  <PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item>
           <item><PicMd5Sum><![CDATA[5a75aaca956d97be686719218f275c6b]]></PicMd5Sum></item></PicList>
</SendPicsInfo>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003000',
      MsgType: 'event',
      Event: 'pic_photo_or_album',
      EventKey: '6',
      SendPicsInfo: {
        Count: '2',
        PicList: {
          item: [{ PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' }, { PicMd5Sum: '5a75aaca956d97be686719218f275c6b' }],
        },
      },
    } satisfies PicEvent,
    variant: 'event:pic_photo_or_album',
  },
  {
    name: 'pic_weixin, one PicList per picture',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700003100</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[pic_weixin]]></Event><EventKey><![CDATA[6]]></EventKey><SendPicsInfo><Count>3</Count><PicList><item><PicMd5Sum><![CDATA[1b5f7c23b5bf75682a53e7b6d163e185]]></PicMd5Sum></item></PicList><PicList><item><PicMd5Sum><![CDATA[5a75aaca956d97be686719218f275c6b]]></PicMd5Sum></item></PicList><PicList><item><PicMd5Sum><![CDATA[0f2e4c6a8b1d3f5e7a9c0b2d4f6e8a1c]]></PicMd5Sum></item></PicList></SendPicsInfo></xml>',
    message: {
      ...header,
      CreateTime: '1700003100',
      MsgType: 'event',
      Event: 'pic_weixin',
      EventKey: '6',
      SendPicsInfo: {
        Count: '3',
        PicList: {
          item: [
            { PicMd5Sum: '1b5f7c23b5bf75682a53e7b6d163e185' },
            { PicMd5Sum: '5a75aaca956d97be686719218f275c6b' },
            { PicMd5Sum: '0f2e4c6a8b1d3f5e7a9c0b2d4f6e8a1c' },
          ],
        },
      },
    } satisfies PicEvent,
    variant: 'event:pic_weixin',
  },
  {
    name: 'location_select with an empty Poiname',
    xml: `<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700003200</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[location_select]]></Event>
<EventKey><![CDATA[6]]></EventKey>
<SendLocationInfo><Location_X><![CDATA[23]]></Location_X><Location_Y><![CDATA[113]]></Location_Y>
  <Scale><![CDATA[15]]></Scale><Label><![CDATA[广州市海珠区客村艺苑路 106号]]></Label><Poiname><![CDATA[]]></Poiname>
</SendLocationInfo>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003200',
      MsgType: 'event',
      Event: 'location_select',
      EventKey: '6',
      SendLocationInfo: {
        Location_X: '23',
        Location_Y: '113',
        Scale: '15',
        Label: '广州市海珠区客村艺苑路 106号',
        Poiname: '',
      },
    } satisfies LocationSelectEvent,
    variant: 'event:location_select',
  },

  // ---- delivery reports ----
  {
    name: 'TEMPLATESENDJOBFINISH',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700003300</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[TEMPLATESENDJOBFINISH]]></Event>
  <MsgID>200163836</MsgID>
  <Status><![CDATA[failed: system failed]]></Status>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003300',
      MsgType: 'event',
      Event: 'TEMPLATESENDJOBFINISH',
      MsgID: '200163836',
      Status: 'failed: system failed',
    } satisfies TemplateSendJobFinishEvent,
    variant: 'event:TEMPLATESENDJOBFINISH',
  },
  {
    name: 'MASSSENDJOBFINISH, one item in each result list',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700003400</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[MASSSENDJOBFINISH]]></Event><MsgID>1000001625</MsgID><Status><![CDATA[send success]]></Status><TotalCount>100</TotalCount><FilterCount>80</FilterCount><SentCount>75</SentCount><ErrorCount>5</ErrorCount><CopyrightCheckResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><UserDeclareState>0</UserDeclareState><AuditState>2</AuditState><OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl><OriginalArticleType>1</OriginalArticleType><CanReprint>1</CanReprint><NeedReplaceContent>1</NeedReplaceContent><NeedShowReprintSource>1</NeedShowReprintSource></item></ResultList><CheckState>2</CheckState></CopyrightCheckResult><ArticleUrlResult><Count>1</Count><ResultList><item><ArticleIdx>1</ArticleIdx><ArticleUrl><![CDATA[https://mp.weixin.qq.com/s/1]]></ArticleUrl></item></ResultList></ArticleUrlResult></xml>',
    message: {
      ...header,
      CreateTime: '1700003400',
      MsgType: 'event',
      Event: 'MASSSENDJOBFINISH',
      MsgID: '1000001625',
      Status: 'send success',
      TotalCount: '100',
      FilterCount: '80',
      SentCount: '75',
      ErrorCount: '5',
      CopyrightCheckResult: {
        Count: '1',
        ResultList: {
          item: [
            {
              ArticleIdx: '1',
              UserDeclareState: '0',
              AuditState: '2',
              OriginalArticleUrl: 'Url_1',
              OriginalArticleType: '1',
              CanReprint: '1',
              NeedReplaceContent: '1',
              NeedShowReprintSource: '1',
            },
          ],
        },
        CheckState: '2',
      },
      ArticleUrlResult: {
        Count: '1',
        ResultList: { item: [{ ArticleIdx: '1', ArticleUrl: 'https://mp.weixin.qq.com/s/1' }] },
      },
    } satisfies MassSendJobFinishEvent,
    variant: 'event:MASSSENDJOBFINISH',
  },
  {
    name: 'MASSSENDJOBFINISH, several items in each result list',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700003500</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[MASSSENDJOBFINISH]]></Event>
  <MsgID>1000001626</MsgID>
  <Status><![CDATA[err(30003)]]></Status>
  <TotalCount>0</TotalCount>
  <FilterCount>0</FilterCount>
  <SentCount>0</SentCount>
  <ErrorCount>0</ErrorCount>
  <CopyrightCheckResult>
    <Count>2</Count>
    <ResultList>
      <item>
        <ArticleIdx>1</ArticleIdx>
        <UserDeclareState>0</UserDeclareState>
        <AuditState>2</AuditState>
        <OriginalArticleUrl><![CDATA[Url_1]]></OriginalArticleUrl>
        <OriginalArticleType>1</OriginalArticleType>
        <CanReprint>1</CanReprint>
        <NeedReplaceContent>1</NeedReplaceContent>
        <NeedShowReprintSource>1</NeedShowReprintSource>
      </item>
      <item>
        <ArticleIdx>2</ArticleIdx>
        <UserDeclareState>0</UserDeclareState>
        <AuditState>2</AuditState>
        <OriginalArticleUrl><![CDATA[Url_2]]></OriginalArticleUrl>
        <OriginalArticleType>1</OriginalArticleType>
        <CanReprint>1</CanReprint>
        <NeedReplaceContent>1</NeedReplaceContent>
        <NeedShowReprintSource>1</NeedShowReprintSource>
      </item>
    </ResultList>
    <CheckState>2</CheckState>
  </CopyrightCheckResult>
  <ArticleUrlResult>
    <Count>2</Count>
    <ResultList>
      <item>
        <ArticleIdx>1</ArticleIdx>
        <ArticleUrl><![CDATA[https://mp.weixin.qq.com/s/a]]></ArticleUrl>
      </item>
      <item>
        <ArticleIdx>2</ArticleIdx>
        <ArticleUrl><![CDATA[https://mp.weixin.qq.com/s/b]]></ArticleUrl>
      </item>
    </ResultList>
  </ArticleUrlResult>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003500',
      MsgType: 'event',
      Event: 'MASSSENDJOBFINISH',
      MsgID: '1000001626',
      Status: 'err(30003)',
      TotalCount: '0',
      FilterCount: '0',
      SentCount: '0',
      ErrorCount: '0',
      CopyrightCheckResult: {
        Count: '2',
        ResultList: {
          item: [
            {
              ArticleIdx: '1',
              UserDeclareState: '0',
              AuditState: '2',
              OriginalArticleUrl: 'Url_1',
              OriginalArticleType: '1',
              CanReprint: '1',
              NeedReplaceContent: '1',
              NeedShowReprintSource: '1',
            },
            {
              ArticleIdx: '2',
              UserDeclareState: '0',
              AuditState: '2',
              OriginalArticleUrl: 'Url_2',
              OriginalArticleType: '1',
              CanReprint: '1',
              NeedReplaceContent: '1',
              NeedShowReprintSource: '1',
            },
          ],
        },
        CheckState: '2',
      },
      ArticleUrlResult: {
        Count: '2',
        ResultList: {
          item: [
            { ArticleIdx: '1', ArticleUrl: 'https://mp.weixin.qq.com/s/a' },
            { ArticleIdx: '2', ArticleUrl: 'https://mp.weixin.qq.com/s/b' },
          ],
        },
      },
    } satisfies MassSendJobFinishEvent,
    variant: 'event:MASSSENDJOBFINISH',
  },
  {
    name: 'PUBLISHJOBFINISH, published',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700003600</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[PUBLISHJOBFINISH]]></Event>
  <PublishEventInfo>
    <publish_id>2247503051</publish_id>
    <publish_status>0</publish_status>
    <article_id><![CDATA[b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4]]></article_id>
    <article_detail>
      <count>1</count>
      <item>
        <idx>1</idx>
        <article_url><![CDATA[https://mp.weixin.qq.com/s/article]]></article_url>
      </item>
    </article_detail>
  </PublishEventInfo>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003600',
      MsgType: 'event',
      Event: 'PUBLISHJOBFINISH',
      PublishEventInfo: {
        publish_id: '2247503051',
        publish_status: '0',
        article_id: 'b5O2OUs25HBxRceL7hfReg-U9QGeq9zQjiDvyWP4Hq4',
        article_detail: { count: '1', item: [{ idx: '1', article_url: 'https://mp.weixin.qq.com/s/article' }] },
      },
    } satisfies PublishJobFinishEvent,
    variant: 'event:PUBLISHJOBFINISH',
  },
  {
    name: 'PUBLISHJOBFINISH, failed articles (fail_idx repeated)',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700003700</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[PUBLISHJOBFINISH]]></Event><PublishEventInfo><publish_id>2247503052</publish_id><publish_status>2</publish_status><fail_idx>1</fail_idx><fail_idx>2</fail_idx></PublishEventInfo></xml>',
    message: {
      ...header,
      CreateTime: '1700003700',
      MsgType: 'event',
      Event: 'PUBLISHJOBFINISH',
      PublishEventInfo: { publish_id: '2247503052', publish_status: '2', fail_idx: ['1', '2'] },
    } satisfies PublishJobFinishEvent,
    variant: 'event:PUBLISHJOBFINISH',
  },

  // ---- customer-service sessions ----
  {
    name: 'kf_create_session',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700003800</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_create_session]]></Event><KfAccount><![CDATA[test1@test]]></KfAccount></xml>',
    message: {
      ...header,
      CreateTime: '1700003800',
      MsgType: 'event',
      Event: 'kf_create_session',
      KfAccount: 'test1@test',
    } satisfies KfSessionEvent,
    variant: 'event:kf_create_session',
  },
  {
    name: 'kf_close_session',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700003900</CreateTime>
  <MsgType><![CDATA[event]]></MsgType>
  <Event><![CDATA[kf_close_session]]></Event>
  <KfAccount><![CDATA[test1@test]]></KfAccount>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700003900',
      MsgType: 'event',
      Event: 'kf_close_session',
      KfAccount: 'test1@test',
    } satisfies KfSessionEvent,
    variant: 'event:kf_close_session',
  },
  {
    name: 'kf_switch_session',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700004000</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[kf_switch_session]]></Event><FromKfAccount><![CDATA[test1@test]]></FromKfAccount><ToKfAccount><![CDATA[test2@test]]></ToKfAccount></xml>',
    message: {
      ...header,
      CreateTime: '1700004000',
      MsgType: 'event',
      Event: 'kf_switch_session',
      FromKfAccount: 'test1@test',
      ToKfAccount: 'test2@test',
    } satisfies KfSwitchSessionEvent,
    variant: 'event:kf_switch_session',
  },

  // ---- subscription messages (one or several List elements) ----
  {
    name: 'subscribe_msg_popup_event, one List',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700004100</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_popup_event]]></Event><SubscribeMsgPopupEvent><List><TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString><PopupScene>2</PopupScene></List></SubscribeMsgPopupEvent></xml>',
    message: {
      ...header,
      CreateTime: '1700004100',
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      SubscribeMsgPopupEvent: {
        List: [
          {
            TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc',
            SubscribeStatusString: 'accept',
            PopupScene: '2',
          },
        ],
      },
    } satisfies SubscribeMsgPopupEvent,
    variant: 'event:subscribe_msg_popup_event',
  },
  {
    name: 'subscribe_msg_popup_event, several List',
    xml: `<xml>
    <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
    <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
    <CreateTime>1700004200</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[subscribe_msg_popup_event]]></Event>
    <SubscribeMsgPopupEvent>
        <List>
            <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
            <SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
        <List>
            <TemplateId><![CDATA[9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI]]></TemplateId>
            <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
            <PopupScene>2</PopupScene>
        </List>
    </SubscribeMsgPopupEvent>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700004200',
      MsgType: 'event',
      Event: 'subscribe_msg_popup_event',
      SubscribeMsgPopupEvent: {
        List: [
          {
            TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc',
            SubscribeStatusString: 'accept',
            PopupScene: '2',
          },
          {
            TemplateId: '9nLIlbOQZC5Y89AZteFEux3WCXRRRG5Wfzkpssu4bLI',
            SubscribeStatusString: 'reject',
            PopupScene: '2',
          },
        ],
      },
    } satisfies SubscribeMsgPopupEvent,
    variant: 'event:subscribe_msg_popup_event',
  },
  {
    name: 'subscribe_msg_change_event, one List',
    xml: `<xml>
    <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
    <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
    <CreateTime>1700004300</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[subscribe_msg_change_event]]></Event>
    <SubscribeMsgChangeEvent>
        <List>
            <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
            <SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString>
        </List>
    </SubscribeMsgChangeEvent>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700004300',
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      SubscribeMsgChangeEvent: {
        List: [{ TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc', SubscribeStatusString: 'reject' }],
      },
    } satisfies SubscribeMsgChangeEvent,
    variant: 'event:subscribe_msg_change_event',
  },
  {
    name: 'subscribe_msg_change_event, several List',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700004400</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_change_event]]></Event><SubscribeMsgChangeEvent><List><TemplateId><![CDATA[tpl-a]]></TemplateId><SubscribeStatusString><![CDATA[reject]]></SubscribeStatusString></List><List><TemplateId><![CDATA[tpl-b]]></TemplateId><SubscribeStatusString><![CDATA[accept]]></SubscribeStatusString></List></SubscribeMsgChangeEvent></xml>',
    message: {
      ...header,
      CreateTime: '1700004400',
      MsgType: 'event',
      Event: 'subscribe_msg_change_event',
      SubscribeMsgChangeEvent: {
        List: [
          { TemplateId: 'tpl-a', SubscribeStatusString: 'reject' },
          { TemplateId: 'tpl-b', SubscribeStatusString: 'accept' },
        ],
      },
    } satisfies SubscribeMsgChangeEvent,
    variant: 'event:subscribe_msg_change_event',
  },
  {
    name: 'subscribe_msg_sent_event, one List',
    xml: `<xml>
    <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
    <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
    <CreateTime>1700004500</CreateTime>
    <MsgType><![CDATA[event]]></MsgType>
    <Event><![CDATA[subscribe_msg_sent_event]]></Event>
    <SubscribeMsgSentEvent>
        <List>
            <TemplateId><![CDATA[VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc]]></TemplateId>
            <MsgID>1700827132819554304</MsgID>
            <ErrorCode>0</ErrorCode>
            <ErrorStatus><![CDATA[success]]></ErrorStatus>
        </List>
    </SubscribeMsgSentEvent>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700004500',
      MsgType: 'event',
      Event: 'subscribe_msg_sent_event',
      SubscribeMsgSentEvent: {
        List: [
          {
            TemplateId: 'VRR0UEO9VJOLs0MHlU0OilqX6MVFDwH3_3gz3Oc0NIc',
            MsgID: '1700827132819554304',
            ErrorCode: '0',
            ErrorStatus: 'success',
          },
        ],
      },
    } satisfies SubscribeMsgSentEvent,
    variant: 'event:subscribe_msg_sent_event',
  },
  {
    name: 'subscribe_msg_sent_event, several List',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700004600</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[subscribe_msg_sent_event]]></Event><SubscribeMsgSentEvent><List><TemplateId><![CDATA[tpl-a]]></TemplateId><MsgID>1700827132819554305</MsgID><ErrorCode>0</ErrorCode><ErrorStatus><![CDATA[success]]></ErrorStatus></List><List><TemplateId><![CDATA[tpl-b]]></TemplateId><MsgID>1700827132819554306</MsgID><ErrorCode>10005</ErrorCode><ErrorStatus><![CDATA[fail:user reject]]></ErrorStatus></List></SubscribeMsgSentEvent></xml>',
    message: {
      ...header,
      CreateTime: '1700004600',
      MsgType: 'event',
      Event: 'subscribe_msg_sent_event',
      SubscribeMsgSentEvent: {
        List: [
          { TemplateId: 'tpl-a', MsgID: '1700827132819554305', ErrorCode: '0', ErrorStatus: 'success' },
          { TemplateId: 'tpl-b', MsgID: '1700827132819554306', ErrorCode: '10005', ErrorStatus: 'fail:user reject' },
        ],
      },
    } satisfies SubscribeMsgSentEvent,
    variant: 'event:subscribe_msg_sent_event',
  },

  // ---- types this version does not know: kept whole (docs/wechat-protocol.md §4.1) ----
  {
    name: 'unknown MsgType file (WeCom only, docs/wechat-protocol.md §4.2)',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700005000</CreateTime><MsgType><![CDATA[file]]></MsgType><Title><![CDATA[report.pdf]]></Title><Description><![CDATA[quarterly]]></Description><FileKey><![CDATA[fk_123]]></FileKey><FileMd5><![CDATA[5a75aaca956d97be686719218f275c6b]]></FileMd5><FileTotalLen>102400</FileTotalLen><MsgId>6054768590064713800</MsgId></xml>',
    message: {
      ...header,
      CreateTime: '1700005000',
      MsgType: 'file',
      Title: 'report.pdf',
      Description: 'quarterly',
      FileKey: 'fk_123',
      FileMd5: '5a75aaca956d97be686719218f275c6b',
      FileTotalLen: '102400',
      MsgId: '6054768590064713800',
    } satisfies UnknownPush,
    variant: 'unknown',
  },
  {
    name: 'unknown MsgType miniprogrampage',
    xml: `<xml>
  <ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
  <FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
  <CreateTime>1700005100</CreateTime>
  <MsgType><![CDATA[miniprogrampage]]></MsgType>
  <MsgId>6054768590064713801</MsgId>
  <Title><![CDATA[Title]]></Title>
  <AppId><![CDATA[wx0123456789abcdef]]></AppId>
  <PagePath><![CDATA[pages/index/index?id=1]]></PagePath>
  <ThumbUrl><![CDATA[http://mmbiz.qpic.cn/thumb]]></ThumbUrl>
  <ThumbMediaId><![CDATA[thumb_media]]></ThumbMediaId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700005100',
      MsgType: 'miniprogrampage',
      MsgId: '6054768590064713801',
      Title: 'Title',
      AppId: 'wx0123456789abcdef',
      PagePath: 'pages/index/index?id=1',
      ThumbUrl: 'http://mmbiz.qpic.cn/thumb',
      ThumbMediaId: 'thumb_media',
    } satisfies UnknownPush,
    variant: 'unknown',
  },
  {
    name: 'unknown Event user_get_card with its own fields',
    xml: `<xml>
<ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>
<FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName>
<CreateTime>1700005200</CreateTime>
<MsgType><![CDATA[event]]></MsgType>
<Event><![CDATA[user_get_card]]></Event>
<CardId><![CDATA[po2VNuCuRo-8sxxxxxxxxxxx]]></CardId>
<IsGiveByFriend>0</IsGiveByFriend>
<UserCardCode><![CDATA[226009850808]]></UserCardCode>
<FriendUserName><![CDATA[]]></FriendUserName>
<OuterId>0</OuterId>
<OldUserCardCode><![CDATA[]]></OldUserCardCode>
<OuterStr><![CDATA[12b]]></OuterStr>
<IsRestoreMemberCard>0</IsRestoreMemberCard>
<UnionId><![CDATA[o6_bmasdasdsad6_2sgVt7hMZOPfL]]></UnionId>
</xml>`,
    message: {
      ...header,
      CreateTime: '1700005200',
      MsgType: 'event',
      Event: 'user_get_card',
      CardId: 'po2VNuCuRo-8sxxxxxxxxxxx',
      IsGiveByFriend: '0',
      UserCardCode: '226009850808',
      FriendUserName: '',
      OuterId: '0',
      OldUserCardCode: '',
      OuterStr: '12b',
      IsRestoreMemberCard: '0',
      UnionId: 'o6_bmasdasdsad6_2sgVt7hMZOPfL',
    } satisfies UnknownPush,
    variant: 'unknown',
  },
  {
    name: 'unknown Event debug_demo (console push test) with a nested element',
    xml: '<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oABCD1234efgh5678ijkl9012mn]]></FromUserName><CreateTime>1700005300</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[debug_demo]]></Event><debug_str><![CDATA[hello world]]></debug_str><Extra><Count>2</Count><item><v>a</v></item><item><v>b</v></item></Extra></xml>',
    message: {
      ...header,
      CreateTime: '1700005300',
      MsgType: 'event',
      Event: 'debug_demo',
      debug_str: 'hello world',
      Extra: { Count: '2', item: [{ v: 'a' }, { v: 'b' }] },
    } satisfies UnknownPush,
    variant: 'unknown',
  },
];

/** The fixture with this name; throws for a name that is not in the table (a typo in a test). */
export function fixture(name: string): PushFixture {
  const found = FIXTURES.find((f) => f.name === name);
  if (found === undefined) throw new Error(`no fixture named ${JSON.stringify(name)}`);
  return found;
}
