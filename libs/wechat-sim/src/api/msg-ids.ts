import { randomBytes } from 'node:crypto';

/** Hands out the `msgid`s of template and subscribe sends (docs/wechat-protocol.md §11.1, §12.2). */
export interface MsgIdCounter {
  next(): bigint;
}

/**
 * Ids count up from a random start in [2^60, 2^61): always above 2^53, where a JS number loses digits
 * (docs/wechat-protocol.md §11.1), and far from the int64 limit however many sends a run makes.
 */
export function createMsgIdCounter(): MsgIdCounter {
  let current = 2n ** 60n + (randomBytes(8).readBigUInt64BE() % 2n ** 60n);
  return {
    next() {
      current += 1n;
      return current;
    },
  };
}
