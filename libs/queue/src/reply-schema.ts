import type { CustomMessage, TypingCommand } from '@wxq/wechat';
import { z } from 'zod';

// The customer-service bodies of docs/wechat-protocol.md §7.2 as a schema whose output is
// @wxq/wechat's CustomMessage: a reply read back from Redis is checked field by field, and the
// sender gets the wire type without a cast. Optional fields are exact (absent, never undefined).

/** z.object (unknown fields dropped, for jobs read back) or z.strictObject (refused, for requests). */
type ObjectSchema = <S extends z.core.$ZodLooseShape>(shape: S) => z.ZodObject<S, z.core.$strip | z.core.$strict>;

/** Every msgtype's body, each with the `recipient` fields; `object` builds every object in it. */
function customMessagesOf<R extends z.core.$ZodLooseShape>(object: ObjectSchema, recipientOf: (o: ObjectSchema) => R) {
  const recipient = recipientOf(object);
  const mediaId = object({ media_id: z.string() });
  const article = object({
    title: z.string(),
    description: z.string().exactOptional(),
    url: z.string(),
    picurl: z.string().exactOptional(),
  });

  return z.discriminatedUnion('msgtype', [
    object({ ...recipient, msgtype: z.literal('text'), text: object({ content: z.string() }) }),
    object({ ...recipient, msgtype: z.literal('image'), image: mediaId }),
    object({ ...recipient, msgtype: z.literal('voice'), voice: mediaId }),
    object({
      ...recipient,
      msgtype: z.literal('video'),
      video: object({
        media_id: z.string(),
        thumb_media_id: z.string().exactOptional(),
        title: z.string().exactOptional(),
        description: z.string().exactOptional(),
      }),
    }),
    object({
      ...recipient,
      msgtype: z.literal('music'),
      music: object({
        title: z.string().exactOptional(),
        description: z.string().exactOptional(),
        musicurl: z.string(),
        hqmusicurl: z.string(),
        thumb_media_id: z.string(),
      }),
    }),
    // One article: WeChat refuses more with 45008 (docs/wechat-protocol.md §7.2).
    object({ ...recipient, msgtype: z.literal('news'), news: object({ articles: z.tuple([article]) }) }),
    object({ ...recipient, msgtype: z.literal('mpnews'), mpnews: mediaId }),
    object({ ...recipient, msgtype: z.literal('mpnewsarticle'), mpnewsarticle: object({ article_id: z.string() }) }),
    object({
      ...recipient,
      msgtype: z.literal('msgmenu'),
      msgmenu: object({
        head_content: z.string().exactOptional(),
        list: z.array(object({ id: z.string(), content: z.string() })),
        tail_content: z.string().exactOptional(),
      }),
    }),
    object({
      ...recipient,
      msgtype: z.literal('wxcard'),
      wxcard: object({ card_id: z.string(), card_ext: z.string().exactOptional() }),
    }),
    object({
      ...recipient,
      msgtype: z.literal('miniprogrampage'),
      miniprogrampage: object({
        title: z.string(),
        appid: z.string(),
        pagepath: z.string(),
        thumb_media_id: z.string(),
      }),
    }),
  ]);
}

const kfAccount = (object: ObjectSchema) => ({ customservice: object({ kf_account: z.string() }).exactOptional() });

const customMessage = customMessagesOf(z.object, (object) => ({ touser: z.string(), ...kfAccount(object) }));

/**
 * A customer-service message body less its recipient, as a request names one
 * (POST /api/v1/messages `customerService`): fields WeChat does not define are refused.
 */
export const customerServiceBodySchema = customMessagesOf(z.strictObject, kfAccount);

/** A customer-service message body; the annotation makes the compiler prove the output is a CustomMessage. */
export const customMessageSchema: z.ZodType<CustomMessage> = customMessage;

const typingCommands = ['Typing', 'CancelTyping'] as const satisfies readonly TypingCommand[];

/** One reply to send: a customer-service message, or the typing indicator (docs/wechat-protocol.md §7.2, §7.3). */
export const replySchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('message'), message: customMessageSchema }),
  z.object({ kind: z.literal('typing'), touser: z.string(), command: z.enum(typingCommands) }),
]);

export type Reply = z.output<typeof replySchema>;
