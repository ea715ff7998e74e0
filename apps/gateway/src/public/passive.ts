import type { ReplyMode } from '@wxq/config';
import { type PassiveStore, type ReplyWaiters, type StoredReply, wakeKeyOfPush, wakeKeyOfUser } from '@wxq/passive';
import { type InboundPayload, QUEUES } from '@wxq/queue';
import {
  type PushAccount,
  type PushQuery,
  buildEncryptedEnvelope,
  buildPassiveReplyXml,
  isPassiveCapable,
  sealMessage,
} from '@wxq/wechat';
import type { PushResult } from './push.js';

/** What a push held for its reply is answered with (docs/passive-replies.md). */
export type PassiveAnswer =
  | { readonly kind: 'reply'; readonly body: string }
  | { readonly kind: 'success' }
  /** passive-only, a delivery before the 3rd: no answer, so WeChat retries and the retry answers. */
  | { readonly kind: 'hold' };

export interface PassiveAnswerer {
  /** Waits, until `deadline` (performance.now() ms), for the reply the push answers with. */
  answer(
    account: PushAccount,
    mode: Exclude<ReplyMode, 'customer-service'>,
    push: Pick<PushResult, 'payload' | 'keyIndex'>,
    query: PushQuery,
    deadline: number,
  ): Promise<PassiveAnswer>;
}

export interface PassiveAnswererDeps {
  /** The store of a user's shard (docs/shards.md): a push's state sits next to the user's outbox. */
  readonly storeOf: (appId: string, openId: string) => PassiveStore;
  readonly waiters: ReplyWaiters;
  /** Epoch ms. */
  readonly now: () => number;
}

/** WeChat delivers a push at most three times (docs/wechat-protocol.md §5.1): the last one must get an answer. */
const LAST_DELIVERY = 3;

export function createPassiveAnswerer(deps: PassiveAnswererDeps): PassiveAnswerer {
  const { waiters } = deps;

  /** passive: the push's own first reply, if the worker offers one in time; else `success`. */
  async function passive(store: PassiveStore, jobId: string, deadline: number): Promise<StoredReply | undefined> {
    for (;;) {
      const remaining = deadline - performance.now();
      const watch = waiters.watch(wakeKeyOfPush(jobId), Math.max(remaining, 0));
      try {
        const taken = await store.take(jobId, remaining <= 0);
        if (taken.state === 'taken') return taken.reply;
        if (taken.state !== 'waiting' || remaining <= 0) return undefined;
        await watch.woken;
      } finally {
        watch.stop();
      }
    }
  }

  /** passive-only: the user's oldest pending reply, or the push's own if it comes in time. */
  async function passiveOnly(
    store: PassiveStore,
    payload: InboundPayload,
    jobId: string,
    deadline: number,
  ): Promise<StoredReply | 'handled' | 'late'> {
    const user = payload.message.FromUserName;
    for (;;) {
      const remaining = deadline - performance.now();
      const watch = waiters.watch(wakeKeyOfUser(payload.appId, user), Math.max(remaining, 0));
      try {
        const assigned = await store.assign(payload.appId, user, jobId);
        if (assigned.reply !== undefined) return assigned.reply;
        // Handled, and nothing waits for the user: no reply is coming for this push.
        if (assigned.handled) return 'handled';
        if (remaining <= 0) return 'late';
        await watch.woken;
      } finally {
        watch.stop();
      }
    }
  }

  /**
   * The reply's XML, encrypted as the push was (docs/wechat-protocol.md §3.5): with the key that
   * opened this delivery, the previous one during a key rotation (§3.7), which is the key WeChat
   * opens the answer with. Undefined without a passive form.
   */
  function bodyOf(
    account: PushAccount,
    push: Pick<PushResult, 'payload' | 'keyIndex'>,
    query: PushQuery,
    reply: StoredReply,
  ): string | undefined {
    if (!isPassiveCapable(reply.message)) return undefined;
    const timestamp = String(Math.floor(deps.now() / 1000));
    const xml = buildPassiveReplyXml(reply.message, { fromUserName: reply.from, createTime: timestamp });
    if (push.payload.mode === 'plaintext' || account.crypto === undefined) return xml;
    // An encrypted push was verified with its nonce: the reply echoes it.
    const nonce = typeof query['nonce'] === 'string' ? query['nonce'] : '';
    const seal = { token: account.token, timestamp, nonce, keyIndex: push.keyIndex };
    return buildEncryptedEnvelope(sealMessage(account.crypto, seal, xml));
  }

  return {
    async answer(account, mode, push, query, deadline) {
      const { payload } = push;
      const jobId = QUEUES.inbound.jobId(payload);
      const store = deps.storeOf(payload.appId, payload.message.FromUserName);
      if (mode === 'passive') {
        const reply = await passive(store, jobId, deadline);
        return answerWith(reply === undefined ? undefined : bodyOf(account, push, query, reply));
      }
      const delivery = await store.delivered(jobId);
      const outcome = await passiveOnly(store, payload, jobId, deadline);
      if (typeof outcome === 'object') return answerWith(bodyOf(account, push, query, outcome));
      // Not ready in time: hold (WeChat retries) unless this is the last delivery; its reply then
      // waits in the user's outbox for their next push.
      return outcome === 'late' && delivery < LAST_DELIVERY ? { kind: 'hold' } : { kind: 'success' };
    },
  };
}

function answerWith(body: string | undefined): PassiveAnswer {
  return body === undefined ? { kind: 'success' } : { kind: 'reply', body };
}
