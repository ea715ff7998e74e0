import { randomUUID } from 'node:crypto';
import { createLogger } from '@wxq/logging';
import { type RedisClient, createKeys } from '@wxq/redis';
import { type LogSink, createLogSink } from '@wxq/testing';
import { type InboundMessage, parseInboundXml } from '@wxq/wechat';
import { createWechatApiClient } from '@wxq/wechat-api';
import { type HandlerContext, createContext } from '../src/context.js';

// Test-only: a real context for handler tests. Its API client points at a closed port: handler
// tests never call it (replies are recorded, not sent).

// One prefix per test file: contexts of one file share counters, other suites' never.
const FILE_PREFIX = `{test-${randomUUID()}}`;

/**
 * `keyPrefix` names the context's Redis keys (rate-limit counters); `signal` is the attempt's;
 * `pushId` the push's job id.
 */
export function contextFor(
  message: InboundMessage,
  redis: RedisClient,
  keyPrefix = FILE_PREFIX,
  signal?: AbortSignal,
  pushId = 'in-test',
): { ctx: HandlerContext; logs: LogSink } {
  const logs = createLogSink();
  const log = createLogger({ level: 'debug', name: 'test' }, logs.stream);
  const api = createWechatApiClient({
    baseUrl: 'http://127.0.0.1:9',
    tokens: {
      getToken: () => Promise.reject(new Error('handler tests send nothing')),
      invalidate: () => Promise.resolve(),
    },
    timeoutMs: 100,
  });
  const ctx = createContext(message, {
    appId: 'wx0123456789abcdef',
    log,
    api,
    redis,
    keys: createKeys(keyPrefix),
    signal,
    pushId,
  });
  return { ctx, logs };
}

const header =
  '<ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><FromUserName><![CDATA[oUser0000000000000000000001]]></FromUserName><CreateTime>1700000000</CreateTime>';

export function textMessage(content: string): InboundMessage {
  return parseInboundXml(
    `<xml>${header}<MsgType><![CDATA[text]]></MsgType><Content><![CDATA[${content}]]></Content><MsgId>9223372036854775001</MsgId></xml>`,
  );
}

export function eventMessage(event: string, eventKey?: string): InboundMessage {
  const key = eventKey === undefined ? '' : `<EventKey><![CDATA[${eventKey}]]></EventKey>`;
  return parseInboundXml(
    `<xml>${header}<MsgType><![CDATA[event]]></MsgType><Event><![CDATA[${event}]]></Event>${key}</xml>`,
  );
}

export function imageMessage(): InboundMessage {
  return parseInboundXml(
    `<xml>${header}<MsgType><![CDATA[image]]></MsgType><PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[m1]]></MediaId><MsgId>1</MsgId></xml>`,
  );
}
