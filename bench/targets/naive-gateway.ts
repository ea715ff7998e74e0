// Reference: the obvious gateway — Express, signature check, fast-xml-parser, awaited queue.add.
import { createServer } from 'node:http';
import { Queue } from 'bullmq';
import express from 'express';
import { XMLParser } from 'fast-xml-parser';
import { Redis } from 'ioredis';
import { verifyUrlSignature } from '@wxq/wechat';
import { BENCH_ACCOUNT } from '../push-fixture.js';
import { listenOnFreePort } from './report-port.js';

const redis = new Redis(process.env['REDIS_URL'] ?? '', { maxRetriesPerRequest: null });
const queue = new Queue('naive', { connection: redis, prefix: process.env['WXQ_QUEUE_PREFIX'] ?? '{bench}' });
const parser = new XMLParser({ parseTagValue: false });
const app = express();
app.post('/wechat', express.text({ type: () => true }), async (req, res) => {
  const q = req.query as Record<string, string>;
  if (
    !verifyUrlSignature({
      token: BENCH_ACCOUNT.token,
      timestamp: q['timestamp'] ?? '',
      nonce: q['nonce'] ?? '',
      signature: q['signature'] ?? '',
    })
  ) {
    res.status(401).send('bad signature');
    return;
  }
  const xml = (parser.parse(req.body as string) as { xml: Record<string, string> }).xml;
  await queue.add('push', xml, { jobId: `${xml['FromUserName'] ?? ''}-${xml['MsgId'] ?? ''}` });
  res.send('success');
});
listenOnFreePort(createServer(app));
