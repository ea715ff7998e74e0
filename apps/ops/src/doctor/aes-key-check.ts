import type { Account } from '@wxq/config';
import { createMessageCrypto } from '@wxq/wechat';
import { type CheckResult, describeError, fail, ok, warn } from './check.js';

/**
 * The account's EncodingAESKey against its mode (docs/wechat-protocol.md §2.1, §3.1): a key that
 * decodes and round-trips a message for this AppID; plaintext, compatible or safe as configured.
 */
export function checkAesKey(account: Account): CheckResult[] {
  const { appId, encodingAESKey, previousEncodingAESKey, requireEncryption } = account;
  if (encodingAESKey === undefined) {
    return [ok(`${appId}: plaintext mode (no EncodingAESKey): the console must be set to 明文模式`)];
  }
  const results: CheckResult[] = [];
  for (const [name, key] of [
    ['WECHAT_ENCODING_AES_KEY', encodingAESKey],
    ['WECHAT_PREVIOUS_ENCODING_AES_KEY', previousEncodingAESKey],
  ] as const) {
    if (key === undefined) continue;
    try {
      const crypto = createMessageCrypto({ appId, encodingAESKey: key });
      const probe = '<xml><Content><![CDATA[doctor]]></Content></xml>';
      if (crypto.decrypt(crypto.encrypt(probe)).message !== probe) throw new Error('round trip changed the message');
    } catch (err) {
      results.push(
        fail(`${appId}: ${name} does not work (${describeError(err)})`, 'copy the key from the console again'),
      );
    }
  }
  if (results.length > 0) return results;
  if (previousEncodingAESKey === encodingAESKey) {
    results.push(
      warn(
        `${appId}: WECHAT_PREVIOUS_ENCODING_AES_KEY is the current key`,
        'set it to the key before the rotation, or unset it',
      ),
    );
  }
  results.push(
    requireEncryption
      ? ok(`${appId}: safe mode: EncodingAESKey well-formed, plaintext pushes refused`)
      : ok(`${appId}: compatible or safe mode: EncodingAESKey well-formed, plaintext pushes accepted too`),
  );
  return results;
}
