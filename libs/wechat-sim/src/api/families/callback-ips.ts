// The callback-IP family (docs/wechat-protocol.md §5.5): `getcallbackip`, the addresses pushes come from.
// `get_api_domain_ip` (the addresses api.weixin.qq.com resolves to) belongs here once it is simulated.
import { type CheckToken, type Family, ok, tokenGet } from '../routes.js';

export function createCallbackIpFamily(options: {
  readonly checkToken: CheckToken;
  /** What `getcallbackip` answers. */
  readonly callbackIps: readonly string[];
}): Family {
  const ipList = [...options.callbackIps];
  return {
    endpoints: {
      '/cgi-bin/getcallbackip': tokenGet(options.checkToken, (appId) => ok({ ip_list: ipList }, appId)),
    },
    reset() {
      // Nothing to forget: the list is configuration.
    },
  };
}
