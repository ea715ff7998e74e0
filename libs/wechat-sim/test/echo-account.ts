// Test-only: a stand-in for an account's server (what wxq's gateway and worker do together), so
// the CLI can be tested against the simulator alone. It opens every push, answers `success`, then
// replies to the user through the simulator's customer-service API and keeps each errcode.
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type PushAccount, createMessageCrypto, openPush } from '@wxq/wechat';
import { onTestFinished } from 'vitest';
import type { SimulatorAccount } from '../src/api/accounts.js';
import type { WechatApiSimulator } from '../src/api/simulator.js';
import { classicToken, postJson, sendUrl } from './helpers.js';

export interface EchoAccount {
  readonly url: string;
  /** The errcode of every reply it attempted, in order. */
  readonly replies: readonly number[];
}

export async function startEchoAccount(
  sim: WechatApiSimulator,
  account: SimulatorAccount & { readonly token: string; readonly encodingAESKey: string },
): Promise<EchoAccount> {
  const opener: PushAccount = {
    appId: account.appId,
    token: account.token,
    crypto: createMessageCrypto({ appId: account.appId, encodingAESKey: account.encodingAESKey }),
  };
  const replies: number[] = [];
  const answer = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const query = Object.fromEntries(new URL(req.url ?? '/', 'http://echo.invalid').searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req as AsyncIterable<Buffer>) chunks.push(chunk);
    let user: string;
    try {
      user = openPush(opener, query, Buffer.concat(chunks), {
        nowSeconds: Math.floor(Date.now() / 1000),
        maxSkewSeconds: 300,
      }).message.FromUserName;
    } catch {
      res.statusCode = 401;
      res.end('bad push');
      return;
    }
    res.end('success');
    const token = await classicToken(sim, account);
    const { json } = await postJson(sendUrl(sim, token), { touser: user, msgtype: 'text', text: { content: 'echo' } });
    replies.push(typeof json['errcode'] === 'number' ? json['errcode'] : Number.NaN);
  };
  const server = createServer((req, res) => {
    answer(req, res).catch(() => {
      replies.push(Number.NaN);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  );
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, replies };
}
