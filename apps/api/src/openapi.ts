import { MAX_RECIPIENTS, campaignRequestSchema, messageRequestSchema } from '@wxq/notify';
import { z } from 'zod';
import { ERROR_STATUS, type ApiErrorCode } from './errors.js';

// The OpenAPI document served at /api/v1/openapi.json. The request body's schema is generated
// from messageRequestSchema, the very schema that validates requests, so the two cannot disagree;
// the answers' shapes are declared here with zod as well.

/** A notification id: `ntf_` + 32 hex digits (libs/notify). */
export const MESSAGE_ID = /^ntf_[0-9a-f]{32}$/;
/** A campaign id: `cmp_` + 32 hex digits (libs/notify). */
export const CAMPAIGN_ID = /^cmp_[0-9a-f]{32}$/;
/** An Idempotency-Key header: printable ASCII, at most 256 characters. */
export const IDEMPOTENCY_KEY = /^[\x20-\x7e]{1,256}$/;

const status = z
  .enum(['queued', 'sent', 'delivered', 'failed', 'refused'])
  .describe(
    'queued → sent (WeChat answered 0) → delivered | failed (its report); refused: refused for good, the reason says why',
  );

const acceptedSchema = z.strictObject({
  id: z.string().regex(MESSAGE_ID),
  status: status.describe('queued, or where a repeat with the same Idempotency-Key has got to'),
});

const messageSchema = z.strictObject({
  id: z.string().regex(MESSAGE_ID),
  kind: z.enum(['template', 'subscribe']),
  account: z.string().describe('the appid'),
  to: z.string().describe('the openid'),
  status,
  errcode: z.number().int().exactOptional().describe('WeChat’s errcode when it refused the send'),
  reason: z.string().exactOptional(),
  msgid: z.string().exactOptional().describe('WeChat’s msgid of a sent message'),
});

const countsSchema = z.strictObject({
  queued: z.number().int(),
  sent: z.number().int(),
  delivered: z.number().int(),
  failed: z.number().int(),
  refused: z.number().int(),
});

const campaignSchema = z.strictObject({
  id: z.string().regex(CAMPAIGN_ID),
  account: z.string(),
  name: z.string().exactOptional(),
  kind: z.enum(['template', 'subscribe']),
  templateId: z.string(),
  status: z
    .enum(['running', 'paused', 'done', 'failed', 'cancelled'])
    .describe('done: every recipient sent or refused; reports still move the counts afterwards'),
  reason: z.string().exactOptional().describe('paused: operator or 45009; failed: the errcode (40037, 43116)'),
  total: z.number().int().describe('distinct recipients'),
  counts: countsSchema.describe('recipients by status; they sum to total'),
  createdAt: z.string(),
});

const recipientPageSchema = z.strictObject({
  recipients: z.array(
    z.strictObject({
      to: z.string(),
      id: z.string().regex(MESSAGE_ID).describe('the recipient’s message id (GET /api/v1/messages/{id})'),
      status,
      errcode: z.number().int().exactOptional(),
      reason: z.string().exactOptional(),
      msgid: z.string().exactOptional(),
    }),
  ),
  cursor: z.string().exactOptional().describe('pass as ?cursor= for the next page; absent after the last'),
});

const errorSchema = z.strictObject({
  error: z.strictObject({
    code: z.enum(Object.keys(ERROR_STATUS) as [ApiErrorCode, ...ApiErrorCode[]]),
    message: z.string(),
  }),
});

/** What an answer's JSON Schema is made with: OpenAPI 3.1's dialect is JSON Schema 2020-12. */
const jsonSchemaOf = (schema: z.ZodType, io: 'input' | 'output') =>
  z.toJSONSchema(schema, { target: 'draft-2020-12', io });

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (name: string) => ({ content: { 'application/json': { schema: ref(name) } } });
const errors = (...codes: ApiErrorCode[]) =>
  Object.fromEntries(
    [...new Set(codes.map((code) => ERROR_STATUS[code]))].map((httpStatus) => [
      String(httpStatus),
      {
        description: codes.filter((code) => ERROR_STATUS[code] === httpStatus).join(', '),
        ...json('Error'),
      },
    ]),
  );
const probe = (description: string) => ({
  get: {
    summary: description,
    security: [],
    responses: { '200': { description: 'yes', ...json('Probe') }, '503': { description: 'no', ...json('Probe') } },
  },
});

const idempotencyParameter = {
  name: 'Idempotency-Key',
  in: 'header',
  required: false,
  description:
    'The same key with the same body (within 24 h) answers the same id and queues nothing again; ' +
    'with another body it is 409. Send one to retry safely after a timeout or a 503.',
  schema: { type: 'string', minLength: 1, maxLength: 256, pattern: IDEMPOTENCY_KEY.source },
};
const campaignIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  schema: { type: 'string', pattern: CAMPAIGN_ID.source },
};

/** The document, built once. */
export function createOpenApiDocument(): Readonly<Record<string, unknown>> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'wxq notifications API',
      version: '1',
      description:
        'Queues WeChat template messages and subscribe notifications for the worker to send. ' +
        'Every route but the probes needs Authorization: Bearer <token> (WXQ_API_TOKENS).',
    },
    security: [{ bearer: [] }],
    paths: {
      '/api/v1/messages': {
        post: {
          summary: 'Queue one template message or subscribe notification',
          parameters: [idempotencyParameter],
          requestBody: { required: true, ...json('MessageRequest') },
          responses: {
            '202': { description: 'queued (or, for a repeat, where it has got to)', ...json('MessageAccepted') },
            ...errors(
              'invalid_json',
              'invalid_request',
              'invalid_idempotency_key',
              'unauthorized',
              'unknown_account',
              'idempotency_conflict',
              'payload_too_large',
              'unsupported_media_type',
              'unavailable',
            ),
          },
        },
      },
      '/api/v1/messages/{id}': {
        get: {
          summary: 'A message’s status',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', pattern: MESSAGE_ID.source } },
          ],
          responses: {
            '200': { description: 'the message', ...json('Message') },
            ...errors('unauthorized', 'not_found', 'unavailable'),
          },
        },
      },
      '/api/v1/campaigns': {
        post: {
          summary: `Queue one message to 1 to ${String(MAX_RECIPIENTS)} recipients, sent at the account’s pace`,
          parameters: [idempotencyParameter],
          requestBody: { required: true, ...json('CampaignRequest') },
          responses: {
            '202': { description: 'accepted', ...json('CampaignAccepted') },
            ...errors(
              'invalid_json',
              'invalid_request',
              'invalid_idempotency_key',
              'unauthorized',
              'unknown_account',
              'idempotency_conflict',
              'payload_too_large',
              'unsupported_media_type',
              'unavailable',
            ),
          },
        },
        get: {
          summary: 'The newest campaigns (of the last week)',
          responses: {
            '200': { description: 'campaigns', ...json('CampaignList') },
            ...errors('unauthorized', 'unavailable'),
          },
        },
      },
      '/api/v1/campaigns/{id}': {
        get: {
          summary: 'A campaign’s status and counts',
          parameters: [campaignIdParameter],
          responses: {
            '200': { description: 'the campaign', ...json('Campaign') },
            ...errors('unauthorized', 'not_found', 'unavailable'),
          },
        },
      },
      '/api/v1/campaigns/{id}/recipients': {
        get: {
          summary: 'Per-recipient results, a page at a time',
          parameters: [
            campaignIdParameter,
            { name: 'status', in: 'query', required: false, schema: status },
            { name: 'cursor', in: 'query', required: false, schema: { type: 'string' } },
            { name: 'limit', in: 'query', required: false, schema: { type: 'integer', minimum: 1, maximum: 1000 } },
          ],
          responses: {
            '200': { description: 'a page', ...json('RecipientPage') },
            ...errors('invalid_request', 'unauthorized', 'not_found', 'unavailable'),
          },
        },
      },
      ...Object.fromEntries(
        (['pause', 'resume', 'cancel'] as const).map((action) => [
          `/api/v1/campaigns/{id}/${action}`,
          {
            post: {
              summary: `${action[0]?.toUpperCase() ?? ''}${action.slice(1)} a campaign`,
              parameters: [campaignIdParameter],
              responses: {
                '200': { description: 'the campaign after it', ...json('Campaign') },
                ...errors('unauthorized', 'not_found', 'conflict', 'unavailable'),
              },
            },
          },
        ]),
      ),
      '/api/v1/openapi.json': {
        get: {
          summary: 'This document',
          responses: {
            '200': { description: 'OpenAPI 3.1', content: { 'application/json': {} } },
            ...errors('unauthorized'),
          },
        },
      },
      '/healthz': probe('The process runs (no auth)'),
      '/readyz': probe('Redis answers (no auth)'),
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        MessageRequest: jsonSchemaOf(messageRequestSchema, 'input'),
        MessageAccepted: jsonSchemaOf(acceptedSchema, 'output'),
        Message: jsonSchemaOf(messageSchema, 'output'),
        CampaignRequest: jsonSchemaOf(campaignRequestSchema, 'input'),
        CampaignAccepted: jsonSchemaOf(
          z.strictObject({ id: z.string().regex(CAMPAIGN_ID), total: z.number().int() }),
          'output',
        ),
        Campaign: jsonSchemaOf(campaignSchema, 'output'),
        CampaignList: jsonSchemaOf(z.strictObject({ campaigns: z.array(campaignSchema) }), 'output'),
        RecipientPage: jsonSchemaOf(recipientPageSchema, 'output'),
        Error: jsonSchemaOf(errorSchema, 'output'),
        Probe: jsonSchemaOf(z.strictObject({ status: z.enum(['ok', 'ready', 'not ready']) }), 'output'),
      },
    },
  };
}
