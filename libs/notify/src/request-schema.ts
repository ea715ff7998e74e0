import { z } from 'zod';

// What a company's services send to POST /api/v1/messages (docs/notifications.md): one schema
// validates requests and generates the OpenAPI document, so the two cannot disagree. Bounds are
// wxq's own, far above what WeChat accepts, so a hostile request is refused before Redis sees it.

/** An openid or an appid: printable ASCII, as WeChat makes them. */
const identifier = z
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
const value = z.string().max(4096);

const miniprogram = z.strictObject({ appid: identifier, pagepath: z.string().max(1024).exactOptional() });

export const templateRequestSchema = z.strictObject({
  id: identifier.describe('the template_id of one of the account’s templates'),
  data: z
    .record(keyword, z.strictObject({ value, color: z.string().max(16).exactOptional() }))
    .refine((data) => Object.keys(data).length <= MAX_KEYWORDS, `at most ${String(MAX_KEYWORDS)} keywords`),
  url: z.url().max(2048).exactOptional(),
  miniprogram: miniprogram.exactOptional(),
});

export const subscribeRequestSchema = z.strictObject({
  id: identifier.describe('the template_id of a subscribe-notification template'),
  data: z
    .record(keyword, z.strictObject({ value }))
    .refine((data) => Object.keys(data).length <= MAX_KEYWORDS, `at most ${String(MAX_KEYWORDS)} keywords`),
  page: z.string().max(2048).exactOptional(),
  miniprogram: miniprogram.exactOptional(),
});

/** POST /api/v1/messages: one template message or subscribe notification to one user. */
export const messageRequestSchema = z
  .strictObject({
    account: identifier.exactOptional().describe('the appid; default: the deployment’s first account'),
    to: identifier.describe('the openid of the recipient'),
    template: templateRequestSchema.exactOptional(),
    subscribe: subscribeRequestSchema.exactOptional(),
  })
  .refine((request) => (request.template === undefined) !== (request.subscribe === undefined), {
    message: 'exactly one of template or subscribe',
    path: ['template'],
  });

export type MessageRequest = z.output<typeof messageRequestSchema>;
