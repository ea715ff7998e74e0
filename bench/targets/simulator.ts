// The WeChat API simulator in a process of its own, for a bench that times the gateway: at full
// pace it takes hundreds of template sends a second and pushes their delivery reports, work that
// would otherwise share an event loop with the clock the bench reads. With SIM_CALLBACK_URL it
// pushes the reports there (docs/wechat-protocol.md §11.3), as WeChat pushes them to the gateway.
import { startWechatApiSimulator } from '@wxq/wechat-sim';
import { reportPort } from './report-port.js';

const appId = process.env['WECHAT_APPID'] ?? '';
const appSecret = process.env['WECHAT_APPSECRET'] ?? '';
const callbackUrl = process.env['SIM_CALLBACK_URL'];
const token = process.env['WECHAT_TOKEN'] ?? '';
const callback = callbackUrl === undefined ? {} : { callback: { url: callbackUrl, token } };
const sim = await startWechatApiSimulator({ accounts: [{ appId, appSecret, ...callback }] });
reportPort(Number(new URL(sim.url).port));
process.once('SIGTERM', () => {
  void sim.stop().then(() => process.exit(0));
});
