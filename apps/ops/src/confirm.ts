import { createInterface } from 'node:readline/promises';
import type { CliIo } from './cli-io.js';

/**
 * Asks a yes/no question on the terminal; true only for `y` or `yes`. Without a terminal there is
 * nobody to ask: the answer is no (scripts pass --yes).
 */
export async function confirm(io: CliIo, question: string): Promise<boolean> {
  if (!io.stdinIsTTY) return false;
  const prompt = createInterface({ input: io.stdin, output: io.stderr, terminal: false });
  try {
    const answer = await Promise.race([
      prompt.question(`${question} [y/N] `),
      // End of input (Ctrl-D) is a no.
      new Promise<string>((resolve) =>
        prompt.once('close', () => {
          resolve('');
        }),
      ),
    ]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    prompt.close();
  }
}
