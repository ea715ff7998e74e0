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
const sim = await startWechatApiSimulator({
  accounts: [{ appId, appSecret }],
  host: process.env['SIM_HOST'] ?? '127.0.0.1',
  port: Number(process.env['SIM_PORT'] ?? '4000'),
});
console.log(JSON.stringify({ msg: 'WeChat API simulator listening', url: sim.url, appId }));
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void sim.stop().then(() => process.exit(0));
  });
}
