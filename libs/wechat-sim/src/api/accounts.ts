export interface SimulatorAccount {
  readonly appId: string;
  readonly appSecret: string;
}

/** The accounts the simulator serves, shared by every family. */
export interface Accounts {
  secretOf(appId: string): string | undefined;
  has(appId: string): boolean;
  /**
   * The one account named, or every account when none is.
   * @throws RangeError for an account the simulator does not serve
   */
  select(appId?: string): readonly string[];
}

/** @throws TypeError for an account without appId or appSecret, or one listed twice */
export function createAccounts(accounts: readonly SimulatorAccount[]): Accounts {
  const secrets = new Map<string, string>();
  for (const { appId, appSecret } of accounts) {
    if (appId === '' || appSecret === '')
      throw new TypeError('every simulator account needs an appId and an appSecret');
    if (secrets.has(appId)) throw new TypeError(`duplicate simulator account: ${appId}`);
    secrets.set(appId, appSecret);
  }
  return {
    secretOf: (appId) => secrets.get(appId),
    has: (appId) => secrets.has(appId),
    select(appId) {
      if (appId === undefined) return [...secrets.keys()];
      if (!secrets.has(appId)) throw new RangeError(`no such account in the simulator: ${appId}`);
      return [appId];
    },
  };
}
