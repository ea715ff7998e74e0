import { type Campaign, type Campaigns, type NotificationStatus, campaignRequestSchema } from '@wxq/notify';
import { type RequestHandler, Router } from 'express';
import { idempotencyKeyOf } from './idempotency-key.js';
import { ApiError, describeIssue } from './errors.js';
import { CAMPAIGN_ID } from './openapi.js';

// The campaign routes (docs/notifications.md): accept one, read it, page through its recipients,
// pause, resume or cancel it.

const STATUSES = new Set<string>(['queued', 'sent', 'delivered', 'failed', 'refused']);
/** The most recipients one page answers. */
const MAX_PAGE = 1000;

type WithRedis = <T>(work: () => Promise<T>) => Promise<T>;

export function campaignRoutes(campaigns: Campaigns, withRedis: WithRedis, jsonBody: RequestHandler[]): Router {
  const router = Router();

  router.post('/api/v1/campaigns', ...jsonBody, async (req, res) => {
    const idempotencyKey = idempotencyKeyOf(req.headers['idempotency-key']);
    const parsed = campaignRequestSchema.safeParse(req.body);
    if (!parsed.success) throw new ApiError('invalid_request', describeIssue(parsed.error));
    const campaign = await withRedis(() =>
      campaigns.create(parsed.data, idempotencyKey === undefined ? {} : { idempotencyKey }),
    );
    res.locals['campaignId'] = campaign.id;
    res.status(202).json({ id: campaign.id, total: campaign.total });
  });

  router.get('/api/v1/campaigns', async (_req, res) => {
    const list = await withRedis(() => campaigns.list());
    res.json({ campaigns: list.map(view) });
  });

  router.get('/api/v1/campaigns/:id', async (req, res) => {
    const campaign = await withRedis(() => campaigns.get(campaignIdOf(req.params['id'])));
    if (campaign === undefined) throw new ApiError('not_found', 'no such campaign');
    res.json(view(campaign));
  });

  router.get('/api/v1/campaigns/:id/recipients', async (req, res) => {
    const id = campaignIdOf(req.params['id']);
    const query = new URLSearchParams(req.url.split('?')[1] ?? '');
    const status = query.get('status') ?? undefined;
    if (status !== undefined && !STATUSES.has(status))
      throw new ApiError('invalid_request', 'status: expected queued, sent, delivered, failed or refused');
    const cursor = query.get('cursor') ?? undefined;
    if (cursor !== undefined && !/^\d{1,7}$/.test(cursor))
      throw new ApiError('invalid_request', 'cursor: not one this API gave');
    const limitText = query.get('limit') ?? '100';
    const limit = Number(limitText);
    if (!/^\d{1,4}$/.test(limitText) || limit < 1 || limit > MAX_PAGE)
      throw new ApiError('invalid_request', `limit: expected 1 to ${String(MAX_PAGE)}`);
    const page = await withRedis(() =>
      campaigns.recipients(id, {
        limit,
        ...(status === undefined ? {} : { status: status as NotificationStatus }),
        ...(cursor === undefined ? {} : { cursor }),
      }),
    );
    if (page === undefined) throw new ApiError('not_found', 'no such campaign');
    res.json(page);
  });

  for (const action of ['pause', 'resume', 'cancel'] as const) {
    router.post(`/api/v1/campaigns/:id/${action}`, async (req, res) => {
      const campaign = await withRedis(() => campaigns.control(campaignIdOf(req.params['id']), action));
      res.json(view(campaign));
    });
  }
  return router;
}

function campaignIdOf(id: string | undefined): string {
  // Anything not shaped like an id cannot be one: answered without asking Redis.
  if (id === undefined || !CAMPAIGN_ID.test(id)) throw new ApiError('not_found', 'no such campaign');
  return id;
}

/** What the API shows of a campaign. */
function view(campaign: Campaign) {
  const { id, account, name, kind, templateId, status, reason, total, counts, createdAt } = campaign;
  return {
    id,
    account,
    ...(name === undefined ? {} : { name }),
    kind,
    templateId,
    status,
    ...(reason === undefined ? {} : { reason }),
    total,
    counts,
    createdAt: new Date(createdAt).toISOString(),
  };
}
