import { startWechatApiSimulator } from '../api/simulator.js';

// `npm run sim-server`: the WeChat API simulator on its own (the compose `sandbox` profile), for
// the account in WECHAT_APPID / WECHAT_APPSECRET. The entry point: reads env, handles signals.
// Compose passes unset variables as empty strings.
const appId = process.env['WECHAT_APPID'] || undefined;
const appSecret = process.env['WECHAT_APPSECRET'] || undefined;
if (appId === undefined || appSecret === undefined) {
  console.error('set WECHAT_APPID and WECHAT_APPSECRET: the simulator serves that account');
  process.exit(1);
}
// With SIM_CALLBACK_URL (the gateway's /wechat) and WECHAT_TOKEN, delivery reports of template and
// subscribe sends are pushed there (docs/wechat-protocol.md §11.3, §12.1), sealed when an AES key is set.
const callbackUrl = process.env['SIM_CALLBACK_URL'] || undefined;
const token = process.env['WECHAT_TOKEN'] || undefined;
const encodingAESKey = process.env['WECHAT_ENCODING_AES_KEY'] || undefined;
const callback =
  callbackUrl === undefined || token === undefined
    ? undefined
    : { url: callbackUrl, token, ...(encodingAESKey === undefined ? {} : { encodingAESKey }) };
const sim = await startWechatApiSimulator({
  accounts: [callback === undefined ? { appId, appSecret } : { appId, appSecret, callback }],
  host: process.env['SIM_HOST'] ?? '127.0.0.1',
  port: Number(process.env['SIM_PORT'] ?? '4000'),
});
console.log(JSON.stringify({ msg: 'WeChat API simulator listening', url: sim.url, appId }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.stop().then(() => process.exit(0));
  });
}
