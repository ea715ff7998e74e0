import { type CheckResult, describeError, fail, ok, warn } from './check.js';

/** Within this, the clock is fine; HTTP's Date header has one-second resolution anyway. */
const FINE_SKEW_SECONDS = 5;

/**
 * This host's clock against the WeChat API's `Date` header. Pushes carry WeChat's timestamp, and
 * the gateway refuses those more than TIMESTAMP_SKEW_SECONDS off as replays (docs/wechat-protocol.md §2.2).
 */
export async function checkClock(baseUrl: string, timeoutMs: number, maxSkewSeconds: number): Promise<CheckResult> {
  const host = new URL(baseUrl).host;
  const sentAt = Date.now();
  let dateHeader: string | null;
  try {
    // Any API path dates its answer; this one needs no token (it answers an errcode).
    const answer = await fetch(new URL('/cgi-bin/getcallbackip', baseUrl), { signal: AbortSignal.timeout(timeoutMs) });
    await answer.body?.cancel();
    dateHeader = answer.headers.get('date');
  } catch (err) {
    return fail(
      `clock: the WeChat API at ${host} did not answer (${describeError(err)})`,
      'allow outgoing HTTPS to it',
    );
  }
  const theirs = dateHeader === null ? Number.NaN : Date.parse(dateHeader);
  if (Number.isNaN(theirs)) return warn(`clock: ${host} sent no usable Date header`, 'check the clock with NTP');
  const skewSeconds = Math.round((sentAt + (Date.now() - sentAt) / 2 - theirs) / 1000);
  const off = `${Math.abs(skewSeconds)} s ${skewSeconds > 0 ? 'ahead of' : 'behind'} WeChat's`;
  if (Math.abs(skewSeconds) <= FINE_SKEW_SECONDS) return ok(`clock within ${FINE_SKEW_SECONDS} s of WeChat's`);
  if (maxSkewSeconds > 0 && Math.abs(skewSeconds) >= maxSkewSeconds) {
    return fail(
      `clock ${off}: the gateway refuses every push as stale (TIMESTAMP_SKEW_SECONDS=${maxSkewSeconds})`,
      'sync the clock (NTP: chrony, systemd-timesyncd)',
    );
  }
  return warn(`clock ${off}`, 'sync the clock (NTP); gateways in different clocks also blur per-user order');
}
