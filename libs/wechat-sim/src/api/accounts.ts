import type { PushMode } from '@wxq/wechat';

/** `template`: a template message (docs/wechat-protocol.md §11); `subscribe`: a subscribe notification (§12). */
export type TemplateKind = 'template' | 'subscribe';

/** A template the account has added in the console; sends naming any other answer 40037 (§11.2, §12.2). */
export interface SimulatorTemplate {
  /** The `template_id` sends name. */
  readonly id: string;
  /** Default `template`. */
  readonly kind?: TemplateKind;
  /**
   * Subscribe templates only: a long-term subscription (长期订阅, docs/wechat-protocol.md §12.1), sent
   * without a consent credit per send (still refused after the user rejects it).
   */
  readonly longTerm?: boolean;
}

/**
 * Where WeChat pushes the account's events (the console's server configuration, docs/wechat-protocol.md
 * §2): the simulator pushes delivery reports there (§11.3, §12.1).
 */
export interface SimulatorCallback {
  /** The callback URL, e.g. `http://127.0.0.1:3000/wechat`. */
  readonly url: string;
  /** The console's Token. */
  readonly token: string;
  /** Needed for the compatible and safe modes (docs/wechat-protocol.md §2.1). */
  readonly encodingAESKey?: string;
  /** Default `safe` with an `encodingAESKey`, else `plaintext`. */
  readonly mode?: PushMode;
  /** The account's `gh_` id, the pushes' ToUserName; default `DEFAULT_TO_USER_NAME`. */
  readonly originalId?: string;
}

export interface SimulatorAccount {
  readonly appId: string;
  readonly appSecret: string;
  /** The account's templates; default `DEMO_TEMPLATES`, so a sandbox works without configuration. */
  readonly templates?: readonly SimulatorTemplate[];
  /** Without one, no delivery report is pushed (each is recorded as `skipped`); `setCallback` sets it later. */
  readonly callback?: SimulatorCallback;
}

/**
 * The templates of an account configured without `templates`: one template message and two subscribe
 * templates, one-time and long-term. Readable ids, so `npm run sim -- send subscribe-popup
 * demo_subscribe_once --accept` is easy to type (real ids are 43 characters of base64url).
 */
export const DEMO_TEMPLATES = [
  { id: 'demo_template', kind: 'template' },
  { id: 'demo_subscribe_once', kind: 'subscribe' },
  { id: 'demo_subscribe_long', kind: 'subscribe', longTerm: true },
] as const satisfies readonly SimulatorTemplate[];

/** A configured template, defaults applied. */
export interface Template {
  readonly id: string;
  readonly kind: TemplateKind;
  readonly longTerm: boolean;
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
  /** The account's template with this id, if it has one. */
  template(appId: string, templateId: string): Template | undefined;
  /** Each account's configured callback, if any. */
  callbacks(): ReadonlyMap<string, SimulatorCallback>;
}

/**
 * @throws TypeError for an account without appId or appSecret, one listed twice, a template without
 *   an id or listed twice, or `longTerm` on a template message
 */
export function createAccounts(accounts: readonly SimulatorAccount[]): Accounts {
  const secrets = new Map<string, string>();
  const templates = new Map<string, ReadonlyMap<string, Template>>();
  const callbacks = new Map<string, SimulatorCallback>();
  for (const { appId, appSecret, ...account } of accounts) {
    if (appId === '' || appSecret === '')
      throw new TypeError('every simulator account needs an appId and an appSecret');
    if (secrets.has(appId)) throw new TypeError(`duplicate simulator account: ${appId}`);
    secrets.set(appId, appSecret);
    templates.set(appId, templateMap(appId, account.templates ?? DEMO_TEMPLATES));
    if (account.callback !== undefined) callbacks.set(appId, account.callback);
  }
  return {
    secretOf: (appId) => secrets.get(appId),
    has: (appId) => secrets.has(appId),
    select(appId) {
      if (appId === undefined) return [...secrets.keys()];
      if (!secrets.has(appId)) throw new RangeError(`no such account in the simulator: ${appId}`);
      return [appId];
    },
    template: (appId, templateId) => templates.get(appId)?.get(templateId),
    callbacks: () => callbacks,
  };
}

function templateMap(appId: string, list: readonly SimulatorTemplate[]): ReadonlyMap<string, Template> {
  const map = new Map<string, Template>();
  for (const { id, kind = 'template', longTerm = false } of list) {
    if (id === '') throw new TypeError(`a template of ${appId} has no id`);
    if (map.has(id)) throw new TypeError(`template ${id} is listed twice for ${appId}`);
    if (longTerm && kind !== 'subscribe')
      throw new TypeError(`template ${id}: only subscribe templates are long-term (docs/wechat-protocol.md §12.1)`);
    map.set(id, { id, kind, longTerm });
  }
  return map;
}
