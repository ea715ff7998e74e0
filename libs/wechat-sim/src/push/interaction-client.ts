import { INTERACTIONS_PATH, type InteractionRecorder, type RecordedInteraction } from '../api/interactions.js';

const DEFAULT_TIMEOUT_MS = 5000;

/** The simulator refused an interaction (`status` 4xx, `reason` its words), or answered something else. */
export class InteractionRefusedError extends Error {
  override name = 'InteractionRefusedError' as const;
  constructor(
    readonly status: number,
    readonly reason: string,
  ) {
    super(`the simulator refused the interaction: ${status} ${reason}`);
  }
}

/**
 * Tells a simulator running in another process of user actions, over `POST /sim/interactions`
 * (the CLI does this with the sandbox's simulator). Pass it to `sendPush` as `simulator`.
 * `recordInteraction` throws InteractionRefusedError for a refusal, and the fetch error
 * (including a TimeoutError after `timeoutMs`) when the simulator does not answer.
 */
export function createInteractionClient(
  simulatorUrl: string,
  options: { readonly timeoutMs?: number } = {},
): InteractionRecorder {
  const url = `${simulatorUrl.replace(/\/+$/, '')}${INTERACTIONS_PATH}`;
  return {
    async recordInteraction({ appId, message }) {
      const response = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ appid: appId, message }),
        signal: AbortSignal.timeout(options.timeoutMs ?? DEFAULT_TIMEOUT_MS),
      });
      const text = await response.text();
      const answer = parseAnswer(text);
      if (!response.ok || answer === undefined || !('interaction' in answer)) {
        throw new InteractionRefusedError(
          response.status,
          answer !== undefined && 'error' in answer ? answer.error : text.slice(0, 200),
        );
      }
      return answer.interaction;
    },
  };
}

function parseAnswer(
  text: string,
): { readonly interaction: RecordedInteraction } | { readonly error: string } | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  if ('error' in value && typeof value.error === 'string') return { error: value.error };
  if (!('interaction' in value) || typeof value.interaction !== 'object' || value.interaction === null)
    return undefined;
  const { interaction } = value;
  // Our own simulator's answer: checked for the fields a caller branches on.
  const fields = interaction as Readonly<Record<string, unknown>>;
  return typeof fields['grant'] === 'string' &&
    typeof fields['outcome'] === 'string' &&
    typeof fields['openId'] === 'string'
    ? { interaction: interaction as RecordedInteraction }
    : undefined;
}
