import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What `npm start` writes so that `npm run sim` needs no flags: where things run and the demo account. */
export interface SandboxState {
  readonly gatewayUrl: string;
  /** The notifications API (docs/notifications.md); absent in a state file of an older sandbox. */
  readonly apiUrl?: string;
  /** Absent when the sandbox runs against a real WeChat account. */
  readonly simulatorUrl?: string;
  readonly adminUrl?: string;
  readonly account: {
    readonly appId: string;
    readonly token: string;
    readonly encodingAESKey?: string;
    readonly appSecret?: string;
  };
  /** The sandbox process, while it runs. */
  readonly pid?: number;
  /** The private Redis the sandbox started (its data dir is removed when it stops). */
  readonly redis?: { readonly url: string; readonly dir?: string };
}

const STATE_FILE = 'sandbox.json';

export function stateFilePath(stateDir: string): string {
  return join(stateDir, STATE_FILE);
}

/** The state file's content, or undefined when there is none (or it is not ours). */
export async function readSandboxState(stateDir: string): Promise<SandboxState | undefined> {
  let text: string;
  try {
    text = await readFile(stateFilePath(stateDir), 'utf8');
  } catch {
    return undefined;
  }
  const parsed = JSON.parse(text) as Partial<SandboxState>;
  return typeof parsed.gatewayUrl === 'string' && typeof parsed.account?.appId === 'string'
    ? (parsed as SandboxState)
    : undefined;
}

/** Written with mode 600: it holds the demo account's Token and keys. */
export async function writeSandboxState(stateDir: string, state: SandboxState): Promise<void> {
  await mkdir(stateDir, { recursive: true });
  await writeFile(stateFilePath(stateDir), `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
}

export async function removeSandboxState(stateDir: string): Promise<void> {
  await rm(stateFilePath(stateDir), { force: true });
}
