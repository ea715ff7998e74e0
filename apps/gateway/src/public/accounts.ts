import { type Account, type ReplyMode, replyModeOf } from '@wxq/config';
import { type PushAccount, createMessageCrypto } from '@wxq/wechat';

/** An account as the public listener needs it: its verifier and how its replies travel. */
export interface GatewayAccount extends PushAccount {
  readonly replyMode: ReplyMode;
}

export interface AccountDirectory {
  /** The account of `/wechat`: the first configured one. */
  readonly defaultAccount: GatewayAccount;
  /** The account of `/wechat/:appid`, case-insensitive; undefined when not configured. */
  find(appId: string): GatewayAccount | undefined;
}

/** Builds each account's verifier once at start-up (keys decoded, crypto ready). */
export function createAccountDirectory(
  accounts: readonly Account[],
  defaults: { readonly replyMode: ReplyMode } = { replyMode: 'customer-service' },
): AccountDirectory {
  const byAppId = new Map<string, GatewayAccount>();
  for (const account of accounts) {
    byAppId.set(account.appId.toLowerCase(), {
      appId: account.appId,
      token: account.token ?? '',
      requireEncryption: account.requireEncryption,
      replyMode: replyModeOf(defaults, account),
      crypto:
        account.encodingAESKey === undefined
          ? undefined
          : createMessageCrypto({
              appId: account.appId,
              encodingAESKey: account.encodingAESKey,
              previousEncodingAESKey: account.previousEncodingAESKey,
            }),
    });
  }
  const first = accounts[0];
  const defaultAccount = first === undefined ? undefined : byAppId.get(first.appId.toLowerCase());
  if (defaultAccount === undefined) throw new Error('at least one account is required');
  return { defaultAccount, find: (appId) => byAppId.get(appId.toLowerCase()) };
}
