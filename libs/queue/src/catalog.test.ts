import type { InboundMessage } from '@wxq/wechat';
import { describe, expect, it } from 'vitest';
import { QUEUES } from './catalog.js';
import type { InboundPayload, OutboundPayload } from './payloads.js';

const base = { ToUserName: 'gh_1', FromUserName: 'o1', CreateTime: '1700000000' };

function push(message: Record<string, string>): InboundPayload {
  return {
    v: 1,
    appId: 'wx0123456789abcdef',
    mode: 'plaintext',
    receivedAt: 1,
    dedupKey: 'k',
    message: message as InboundMessage,
  };
}

function reply(reply: OutboundPayload['reply']): OutboundPayload {
  return { v: 1, appId: 'wx0123456789abcdef', dedupKey: 'k', replyIndex: 0, reply };
}

describe('job names say what the job holds (for Bull Board)', () => {
  it('names a push by its type, an event by its Event', () => {
    expect(QUEUES.inbound.jobName(push({ ...base, MsgType: 'text', Content: 'hi', MsgId: '1' }))).toBe('text');
    expect(QUEUES.inbound.jobName(push({ ...base, MsgType: 'event', Event: 'CLICK', EventKey: 'MENU' }))).toBe(
      'event:CLICK',
    );
  });

  it('names a type wxq does not know `unknown`, whatever the push says', () => {
    expect(QUEUES.inbound.jobName(push({ ...base, MsgType: 'hologram' }))).toBe('unknown');
    expect(QUEUES.inbound.jobName(push({ ...base, MsgType: 'event', Event: 'x'.repeat(10_000) }))).toBe('unknown');
  });

  it('names a reply by its msgtype and a typing command by its command', () => {
    expect(
      QUEUES.outbound.jobName(
        reply({ kind: 'message', message: { touser: 'o1', msgtype: 'text', text: { content: 'hi' } } }),
      ),
    ).toBe('reply:text');
    expect(
      QUEUES.outbound.jobName(
        reply({ kind: 'message', message: { touser: 'o1', msgtype: 'image', image: { media_id: 'm' } } }),
      ),
    ).toBe('reply:image');
    expect(QUEUES.outbound.jobName(reply({ kind: 'typing', touser: 'o1', command: 'Typing' }))).toBe('typing:Typing');
  });
});
