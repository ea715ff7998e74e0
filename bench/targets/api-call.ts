// What the send baselines share: the WeChat API simulator called over one keep-alive agent, the
// access_token fetched once at start-up, and nothing else (no token store, no retry rules).
import { Agent, request } from 'node:http';

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

/** The account's access_token (WECHAT_APPID, WECHAT_APPSECRET), fetched once. */
export async function fetchAccessToken(): Promise<string> {
  const appId = process.env['WECHAT_APPID'] ?? '';
  const secret = process.env['WECHAT_APPSECRET'] ?? '';
  const answer = await call('GET', `/cgi-bin/token?grant_type=client_credential&appid=${appId}&secret=${secret}`);
  return (JSON.parse(answer) as { access_token: string }).access_token;
}

/** POSTs `body` to `path` (with the token in its query) and throws unless WeChat answered errcode 0. */
export async function postOk(path: string, body: unknown): Promise<void> {
  const answer = JSON.parse(await call('POST', path, JSON.stringify(body))) as { errcode: number };
  if (answer.errcode !== 0) throw new Error(`errcode ${String(answer.errcode)}`);
}
