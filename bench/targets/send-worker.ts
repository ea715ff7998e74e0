// Baseline: BullMQ's own worker whose processor sends the push's echo through the
// customer-service API, one keep-alive POST per job, and does nothing else (no ordering, no
// ledger, no retry rules): the floor of any worker that answers a push with a sent reply.
import { Agent, request } from 'node:http';
import { runBaselineWorker } from './baseline-worker.js';

interface Push {
  readonly message: { readonly FromUserName: string; readonly Content?: string };
}

const api = new URL(process.env['WECHAT_API_BASE_URL'] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function call(method: 'GET' | 'POST', path: string, body?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const headers =
      body === undefined ? {} : { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) };
    const req = request({ host: api.hostname, port: api.port, path, method, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.once('end', () => {
        resolve(Buffer.concat(chunks).toString());
      });
      res.once('error', reject);
    });
    req.once('error', reject);
    req.end(body);
  });
}

const appId = process.env['WECHAT_APPID'] ?? '';
const secret = process.env['WECHAT_APPSECRET'] ?? '';
const token = (
  JSON.parse(await call('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appId}&secret=${secret}`)) as {
    access_token: string;
  }
).access_token;
const sendPath = `/cgi-bin/message/custom/send?access_token=${token}`;

runBaselineWorker('inbound', async (job) => {
  const { message } = job.data as Push;
  const body = JSON.stringify({ touser: message.FromUserName, msgtype: 'text', text: { content: message.Content } });
  const answer = JSON.parse(await call('POST', sendPath, body)) as { errcode: number };
  if (answer.errcode !== 0) throw new Error(`errcode ${answer.errcode}`);
});
