/**
 * Sends items one by one while nothing is in flight, and coalesces those that arrive while a send
 * is in flight into one batch per event-loop turn (at most `maxBatch` items). `sendBatch` answers
 * one promise per item, in order. An idle server thus pays no wait, and a loaded one sends one
 * Redis write (and one reply to parse) for a whole turn's worth of requests.
 */
export function coalesce<T, R>(
  sendBatch: (items: readonly T[]) => readonly Promise<R>[],
  maxBatch: number,
): (item: T) => Promise<R> {
  let inFlight = 0;
  let pending: { item: T; resolve: (result: Promise<R>) => void }[] = [];
  let scheduled = false;

  const flush = () => {
    scheduled = false;
    const batch = pending;
    pending = [];
    if (batch.length === 0) return;
    let results: readonly Promise<R>[];
    try {
      results = sendBatch(batch.map(({ item }) => item));
    } catch (err) {
      results = batch.map(() => Promise.reject(err as Error));
    }
    inFlight += 1;
    void Promise.allSettled(results).then(() => {
      inFlight -= 1;
    });
    batch.forEach(({ resolve }, i) => {
      resolve(results[i] ?? Promise.reject(new Error('sendBatch answered fewer results than items')));
    });
  };

  return (item) =>
    new Promise<R>((resolve) => {
      pending.push({ item, resolve });
      if (inFlight === 0 && !scheduled) flush();
      else if (pending.length >= maxBatch) flush();
      else if (!scheduled) {
        scheduled = true;
        setImmediate(flush);
      }
    });
}
