export { buildInboundXml, buildXml, cdata } from './build-xml.js';
export type {
  CustomImageMessage,
  CustomMessage,
  CustomMessageBody,
  CustomMessageType,
  CustomMiniprogrampageMessage,
  CustomMpnewsMessage,
  CustomMpnewsarticleMessage,
  CustomMsgmenuMessage,
  CustomMusicMessage,
  CustomNewsMessage,
  CustomTextMessage,
  CustomVideoMessage,
  CustomVoiceMessage,
  CustomWxcardMessage,
  NewsArticle,
  TypingCommand,
} from './custom-message.js';
export { computeDedupKey } from './dedup-key.js';
export type {
  NotificationMiniprogram,
  SubscribeMessage,
  TemplateData,
  TemplateDataValue,
  TemplateMessage,
} from './notification-message.js';
export {
  type EncryptedEnvelope,
  type SealParams,
  buildEncryptedEnvelope,
  buildSafeModeBody,
  sealMessage,
} from './envelope.js';
export { CryptoError, type ProtocolErrorCode, WechatProtocolError, XmlError } from './errors.js';
export {
  type DecryptedMessage,
  type KeyIndex,
  type MessageCrypto,
  type MessageCryptoOptions,
  createMessageCrypto,
  decodeAesKey,
} from './message-crypto.js';
export * from './messages.js';
export { parseInboundXml, toInboundMessage } from './parse-message.js';
export { type SubscribeEventName, subscribeEntriesOf } from './subscribe-list.js';
export { type PassiveReplyHeader, buildPassiveReplyXml, isPassiveCapable } from './passive-reply.js';
export {
  type OpenedPush,
  type PushAccount,
  type PushClock,
  type PushMode,
  type PushQuery,
  openPush,
  verifyEcho,
} from './push.js';
export { computeSignature, verifyMsgSignature, verifyUrlSignature } from './signature.js';
export { type XmlRecord, type XmlValue, XML_LIMITS, parseXml } from './xml.js';
