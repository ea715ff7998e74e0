import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { startWechatApiSimulator } from './simulator.js';
import { ACCOUNT, OPENID, classicToken, getJson, postJson, sendUrl, startTestSimulator } from '../../test/helpers.js';

describe('the IP whitelist (docs/wechat-protocol.md §5.5)', () => {
  const tokenUrl = (sim: { url: string }) =>
    `${sim.url}/cgi-bin/token?grant_type=client_credential&appid=${ACCOUNT.appId}&secret=${ACCOUNT.appSecret}`;

  it('answers 40164 to token calls from an address not on it, naming the address as WeChat does', async () => {
    const sim = await startTestSimulator({ ipWhitelist: ['203.0.113.7', '10.0.0.0/8'] });
    const classic = await getJson(tokenUrl(sim));
    expect(classic.json['errcode']).toBe(40164);
    expect(classic.json['errmsg']).toMatch(
      /^invalid ip 127\.0\.0\.1 ipv6 ::ffff:127\.0\.0\.1, not in whitelist rid: \S+$/,
    );
    const stable = await postJson(`${sim.url}/cgi-bin/stable_token`, {
      grant_type: 'client_credential',
      appid: ACCOUNT.appId,
      secret: ACCOUNT.appSecret,
    });
    expect(stable.json['errcode']).toBe(40164);
    expect(sim.tokenMints()).toEqual({ token: 0, stable_token: 0 });
    // A wrong AppID is told first: the whitelist belongs to an account.
    expect(
      (await getJson(`${sim.url}/cgi-bin/token?grant_type=client_credential&appid=wx0000000000000000&secret=x`)).json[
        'errcode'
      ],
    ).toBe(40013);
  });

  it('lets callers on it (an address or a range) through', async () => {
    for (const ipWhitelist of [['127.0.0.1'], ['127.0.0.0/8'], ['203.0.113.7', '127.0.0.1']]) {
      const sim = await startTestSimulator({ ipWhitelist });
      expect((await getJson(tokenUrl(sim))).json['access_token']).toEqual(expect.any(String));
    }
  });

  it('refuses entries that are not addresses or ranges', async () => {
    for (const entry of ['localhost', '10.0.0.0/x', '', '10.0.0.0/-1']) {
      await expect(startWechatApiSimulator({ accounts: [ACCOUNT], ipWhitelist: [entry] })).rejects.toThrow(TypeError);
    }
  });

  it("every answer carries WeChat's Date header, from the simulator's clock", async () => {
    const ahead = 10 * 60_000;
    const sim = await startTestSimulator({ now: () => Date.now() + ahead });
    const answer = await fetch(`${sim.url}/cgi-bin/getcallbackip`);
    expect(Math.abs(Date.parse(answer.headers.get('date') ?? '') - (Date.now() + ahead))).toBeLessThan(2_000);
  });
});

describe('malformed requests never crash the simulator', () => {
  it('answers an unknown path with 404 and errcode 40066', async () => {
    const sim = await startTestSimulator();
    const answer = await getJson(`${sim.url}/cgi-bin/nothing-here?access_token=x`);
    expect(answer.status).toBe(404);
    expect(answer.json['errcode']).toBe(40066);
    expect(sim.calls).toMatchObject([{ path: '/cgi-bin/nothing-here', query: {}, httpStatus: 404, errcode: 40066 }]);
  });

  it('answers the wrong method with 43001 or 43002', async () => {
    const sim = await startTestSimulator();
    expect((await getJson(`${sim.url}/cgi-bin/message/custom/send`)).json['errcode']).toBe(43002);
    expect((await getJson(`${sim.url}/cgi-bin/stable_token`)).json['errcode']).toBe(43002);
    expect((await postJson(`${sim.url}/cgi-bin/token`, {})).json['errcode']).toBe(43001);
    const put = await fetch(`${sim.url}/cgi-bin/getcallbackip`, { method: 'PUT', body: 'x' });
    expect(((await put.json()) as Record<string, unknown>)['errcode']).toBe(43001);
  });

  it('answers a body over 1 MiB with 413 and errcode 45002, then keeps serving', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const huge = JSON.stringify({ touser: OPENID, msgtype: 'text', text: { content: 'x'.repeat(1024 * 1024) } });
    const answer = await postJson(sendUrl(sim, token), huge);
    expect(answer.status).toBe(413);
    expect(answer.json['errcode']).toBe(45002);
    expect(sim.sends).toEqual([]);
    expect(
      (await postJson(sendUrl(sim, token), { touser: OPENID, msgtype: 'text', text: { content: 'small' } })).json[
        'errcode'
      ],
    ).toBe(0);
  });

  it('survives bytes that are not HTTP, and a client that hangs up mid-body', async () => {
    const sim = await startTestSimulator();
    const { port } = new URL(sim.url);
    const garbage = await rawExchange(Number(port), 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);
    await rawExchange(
      Number(port),
      'POST /cgi-bin/stable_token HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{"grant',
      true,
    );
    expect((await postJson(`${sim.url}/cgi-bin/stable_token`, '{')).json['errcode']).toBe(47001);
  });

  it('handles odd URLs', async () => {
    const sim = await startTestSimulator();
    expect((await fetch(`${sim.url}/sim/video/%E0%A4%A`)).status).toBe(404);
    expect(
      (await getJson(`${sim.url}/cgi-bin/token?__proto__=1&appid=${ACCOUNT.appId}&appid=second`)).json['errcode'],
    ).toBe(40002);
    expect(sim.calls.at(-1)?.query).toEqual({ ['__proto__']: '1', appid: ACCOUNT.appId });
  });
});

describe('the simulator object', () => {
  it('reset forgets calls, sends, tokens, media and faults', async () => {
    const sim = await startTestSimulator();
    const token = await classicToken(sim);
    const mediaId = sim.addMedia({ type: 'image', bytes: Buffer.from('x') });
    await postJson(sendUrl(sim, token), { touser: OPENID, msgtype: 'image', image: { media_id: mediaId } });
    sim.injectFault({ path: '/cgi-bin/token', errcode: -1 });
    sim.reset();
    expect(sim.calls).toEqual([]);
    expect(sim.sends).toEqual([]);
    expect(sim.tokenMints()).toEqual({ token: 0, stable_token: 0 });
    expect((await getJson(`${sim.url}/cgi-bin/getcallbackip?access_token=${token}`)).json['errcode']).toBe(40001);
    const fresh = await classicToken(sim);
    expect(
      (await postJson(sendUrl(sim, fresh), { touser: OPENID, msgtype: 'image', image: { media_id: mediaId } })).json[
        'errcode'
      ],
    ).toBe(40007);
  });

  it('calls and sends are snapshots', async () => {
    const sim = await startTestSimulator();
    const before = sim.calls;
    await classicToken(sim);
    expect(before).toEqual([]);
    expect(sim.calls).toHaveLength(1);
  });

  it('waitForSends rejects after its timeout', async () => {
    const sim = await startTestSimulator();
    await expect(sim.waitForSends(1, 20)).rejects.toThrow('waited 20 ms for 1 sends, saw 0');
  });

  it('stop closes the listener and open connections, rejects waiters, and is idempotent', async () => {
    const sim = await startWechatApiSimulator({ accounts: [ACCOUNT] });
    const token = await classicToken(sim);
    // `when` runs as the request arrives: proof it is inside the simulator when stop() begins.
    let signalArrival = (): void => undefined;
    const arrived = new Promise<void>((resolve) => (signalArrival = resolve));
    sim.injectFault({ path: '/cgi-bin/getcallbackip', latencyMs: 60_000, when: () => (signalArrival(), true) });
    const hanging = fetch(`${sim.url}/cgi-bin/getcallbackip?access_token=${token}`);
    const waiting = sim.waitForSends(1, 60_000);
    await arrived;
    const first = sim.stop();
    expect(sim.stop()).toBe(first);
    await first;
    await expect(waiting).rejects.toThrow('stopped');
    await expect(hanging).rejects.toThrow(TypeError);
    await expect(fetch(`${sim.url}/cgi-bin/token`)).rejects.toThrow(TypeError);
    await expect(sim.waitForSends(1, 10)).rejects.toThrow('stopped');
  });

  it('refuses bad options', async () => {
    await expect(startWechatApiSimulator({ accounts: [ACCOUNT, ACCOUNT] })).rejects.toThrow(TypeError);
    await expect(startWechatApiSimulator({ accounts: [{ appId: '', appSecret: 'x' }] })).rejects.toThrow(TypeError);
    await expect(startWechatApiSimulator({ accounts: [ACCOUNT], tokenTtlSeconds: 0 })).rejects.toThrow(TypeError);
  });

  it('reports a taken port', async () => {
    const sim = await startTestSimulator();
    await expect(startWechatApiSimulator({ accounts: [ACCOUNT], port: Number(new URL(sim.url).port) })).rejects.toThrow(
      /EADDRINUSE/,
    );
  });
});

/** Writes raw bytes; resolves with whatever came back once the server closes, or at once with `hangUp`. */
function rawExchange(port: number, data: string, hangUp = false): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      socket.write(data);
      if (hangUp) socket.destroy();
    });
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('latin1')));
    socket.on('close', () => {
      resolve(received);
    });
    socket.on('error', reject);
  });
}
