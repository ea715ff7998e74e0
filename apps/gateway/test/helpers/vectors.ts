// The shared WeChat crypto vectors (docs/wechat-protocol.md §9) that the gateway tests send.
import { type FreshVector, type NegativeVector, loadWechatVectors } from '@wxq/testing';

/** A `fresh` entry with a push: a safe-mode POST as WeChat would send it, signed for its 2023 timestamp. */
export type FreshPushVector = FreshVector & { readonly query: string; readonly post_body_safe_mode: string };

export function freshPushVectors(): readonly FreshPushVector[] {
  // The reply vector has no push to send.
  return loadWechatVectors().fresh.filter(
    (v): v is FreshPushVector => v.query !== undefined && v.post_body_safe_mode !== undefined,
  );
}

/** A `negative` entry: a signed ciphertext a strict decoder must refuse. */
export function negativeVector(id: string): NegativeVector {
  const found = loadWechatVectors().negative.find((vector) => vector.id === id);
  if (found === undefined) throw new Error(`no negative vector ${id}`);
  return found;
}
