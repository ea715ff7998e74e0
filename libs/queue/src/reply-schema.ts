import type { CustomMessage, TypingCommand } from '@wxq/wechat';
import { z } from 'zod';

// The customer-service bodies of docs/wechat-protocol.md §7.2 as a schema whose output is
// @wxq/wechat's CustomMessage: a reply read back from Redis is checked field by field, and the
// sender gets the wire type without a cast. Optional fields are exact (absent, never undefined).

const recipient = {
  touser: z.string(),
  customservice: z.object({ kf_account: z.string() }).exactOptional(),
};
const mediaId = z.object({ media_id: z.string() });
const article = z.object({
  title: z.string(),
  description: z.string().exactOptional(),
  url: z.string(),
  picurl: z.string().exactOptional(),
});

const customMessage = z.discriminatedUnion('msgtype', [
  z.object({ ...recipient, msgtype: z.literal('text'), text: z.object({ content: z.string() }) }),
  z.object({ ...recipient, msgtype: z.literal('image'), image: mediaId }),
  z.object({ ...recipient, msgtype: z.literal('voice'), voice: mediaId }),
  z.object({
    ...recipient,
    msgtype: z.literal('video'),
    video: z.object({
      media_id: z.string(),
      thumb_media_id: z.string().exactOptional(),
      title: z.string().exactOptional(),
      description: z.string().exactOptional(),
    }),
  }),
  z.object({
    ...recipient,
    msgtype: z.literal('music'),
    music: z.object({
      title: z.string().exactOptional(),
      description: z.string().exactOptional(),
      musicurl: z.string(),
      hqmusicurl: z.string(),
      thumb_media_id: z.string(),
    }),
  }),
  // One article: WeChat refuses more with 45008 (docs/wechat-protocol.md §7.2).
  z.object({ ...recipient, msgtype: z.literal('news'), news: z.object({ articles: z.tuple([article]) }) }),
  z.object({ ...recipient, msgtype: z.literal('mpnews'), mpnews: mediaId }),
  z.object({ ...recipient, msgtype: z.literal('mpnewsarticle'), mpnewsarticle: z.object({ article_id: z.string() }) }),
  z.object({
    ...recipient,
    msgtype: z.literal('msgmenu'),
    msgmenu: z.object({
      head_content: z.string().exactOptional(),
      list: z.array(z.object({ id: z.string(), content: z.string() })),
      tail_content: z.string().exactOptional(),
    }),
  }),
  z.object({
    ...recipient,
    msgtype: z.literal('wxcard'),
    wxcard: z.object({ card_id: z.string(), card_ext: z.string().exactOptional() }),
  }),
  z.object({
    ...recipient,
    msgtype: z.literal('miniprogrampage'),
    miniprogrampage: z.object({
      title: z.string(),
      appid: z.string(),
      pagepath: z.string(),
      thumb_media_id: z.string(),
    }),
  }),
]);

/** A customer-service message body; the annotation makes the compiler prove the output is a CustomMessage. */
export const customMessageSchema: z.ZodType<CustomMessage> = customMessage;

const typingCommands = ['Typing', 'CancelTyping'] as const satisfies readonly TypingCommand[];

/** One reply to send: a customer-service message, or the typing indicator (docs/wechat-protocol.md §7.2, §7.3). */
export const replySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), message: customMessageSchema }),
  z.object({ kind: z.literal('typing'), touser: z.string(), command: z.enum(typingCommands) }),
]);

export type Reply = z.output<typeof replySchema>;
