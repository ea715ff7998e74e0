import { customerServiceBodySchema } from '@wxq/queue';
import { z } from 'zod';

// What a company's services send to POST /api/v1/messages (docs/notifications.md): one schema
// validates requests and generates the OpenAPI document, so the two cannot disagree. Bounds are
// wxq's own, far above what WeChat accepts, so a hostile request is refused before Redis sees it.

/** An openid or an appid: printable ASCII, as WeChat makes them. */
export const identifier = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');
/** A template's keyword (`thing1`, `time2`): WeChat's are letters, digits and underscores. */
const keyword = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_]+$/, 'letters, digits and _');
/** Keywords in one message: a template has a handful. */
const MAX_KEYWORDS = 50;
/** One keyword's value: WeChat's limits are far lower (thing: 20 characters) and say 47003 themselves. */
export const value = z.string().max(4096);
/** Keys a JavaScript object treats specially: zod's record drops `__proto__` silently, so they are refused. */
const RESERVED_KEYS = ['__proto__', 'constructor', 'prototype'];

/** A template's data, keyword -> value: at most MAX_KEYWORDS, the reserved names refused before the record reads it. */
export function dataOf<T extends z.ZodType>(entry: T) {
  const record = z
    .record(keyword, entry)
    .refine((data) => Object.keys(data).length <= MAX_KEYWORDS, `at most ${String(MAX_KEYWORDS)} keywords`);
  return z.preprocess((input, ctx) => {
    if (typeof input === 'object' && input !== null) {
      for (const name of RESERVED_KEYS) {
        if (Object.hasOwn(input, name))
          ctx.issues.push({ code: 'custom', message: 'a reserved name', path: [name], input });
      }
    }
    return input;
  }, record);
}

const miniprogram = z.strictObject({ appid: identifier, pagepath: z.string().max(1024).exactOptional() });

export const templateRequestSchema = z.strictObject({
  id: identifier.describe('the template_id of one of the account’s templates'),
  data: dataOf(z.strictObject({ value, color: z.string().max(16).exactOptional() })),
  url: z
    .url({ protocol: /^https?$/ })
    .max(2048)
    .exactOptional(),
  miniprogram: miniprogram.exactOptional(),
});

export const subscribeRequestSchema = z.strictObject({
  id: identifier.describe('the template_id of a subscribe-notification template'),
  data: dataOf(z.strictObject({ value })),
  page: z.string().max(2048).exactOptional(),
  miniprogram: miniprogram.exactOptional(),
});

/** What a message request sends: exactly one of these. */
const MESSAGE_KINDS = ['template', 'subscribe', 'customerService'] as const;

/**
 * POST /api/v1/messages: one template message, subscribe notification or customer-service
 * message to one user.
 */
export const messageRequestSchema = z
  .strictObject({
    account: identifier.exactOptional().describe('the appid; default: the deployment’s first account'),
    to: identifier.describe('the openid of the recipient'),
    template: templateRequestSchema.exactOptional(),
    subscribe: subscribeRequestSchema.exactOptional(),
    customerService: customerServiceBodySchema
      .exactOptional()
      .describe('a customer-service message body without touser: sent in the user’s order, within their quota'),
  })
  .refine((request) => MESSAGE_KINDS.filter((kind) => request[kind] !== undefined).length === 1, {
    message: 'exactly one of template, subscribe or customerService',
    path: ['template'],
  });

export type MessageRequest = z.output<typeof messageRequestSchema>;

/** A template message as a handler gives one to `ctx.notify.template`. */
export type TemplateRequest = z.output<typeof templateRequestSchema>;
/** A subscribe notification as a handler gives one to `ctx.notify.subscribe`. */
export type SubscribeRequest = z.output<typeof subscribeRequestSchema>;
