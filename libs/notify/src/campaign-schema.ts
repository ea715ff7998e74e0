import { z } from 'zod';
import { dataOf, identifier, subscribeRequestSchema, templateRequestSchema, value } from './request-schema.js';

// What a company's services send to POST /api/v1/campaigns (docs/notifications.md): one message
// to many recipients, each optionally with data of its own merged over the shared data.

/** The most recipients one campaign takes: a larger audience is several campaigns. */
export const MAX_RECIPIENTS = 100_000;

const recipient = z.union([
  identifier,
  z.strictObject({
    to: identifier,
    data: dataOf(z.strictObject({ value, color: z.string().max(16).exactOptional() })).exactOptional(),
  }),
]);

export const campaignRequestSchema = z
  .strictObject({
    account: identifier.exactOptional().describe('the appid; default: the deployment’s first account'),
    name: z.string().max(200).exactOptional().describe('for operators'),
    template: templateRequestSchema.exactOptional(),
    subscribe: subscribeRequestSchema.exactOptional(),
    recipients: z
      .array(recipient)
      .min(1)
      .max(MAX_RECIPIENTS)
      .describe('openids, or {to, data} whose data is merged over the shared data; a repeated openid counts once'),
  })
  .refine((request) => (request.template === undefined) !== (request.subscribe === undefined), {
    message: 'exactly one of template or subscribe',
    path: ['template'],
  })
  .refine(
    (request) =>
      request.subscribe === undefined ||
      request.recipients.every(
        (r) => typeof r === 'string' || Object.values(r.data ?? {}).every((entry) => entry.color === undefined),
      ),
    { message: 'a subscribe notification’s data has no color', path: ['recipients'] },
  );

export type CampaignRequest = z.output<typeof campaignRequestSchema>;
