import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

export interface DemoAccount {
  readonly appId: string;
  readonly appSecret: string;
  readonly token: string;
  readonly encodingAESKey: string;
}

const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** The sandbox's demo account, made once and kept in `<stateDir>/demo-account.json`. */
export async function loadOrCreateDemoAccount(stateDir: string): Promise<DemoAccount> {
  const file = join(stateDir, 'demo-account.json');
  try {
    const saved = JSON.parse(await readFile(file, 'utf8')) as Partial<DemoAccount>;
    if (
      saved.appId !== undefined &&
      saved.appSecret !== undefined &&
      saved.token !== undefined &&
      saved.encodingAESKey !== undefined
    ) {
      return saved as DemoAccount;
    }
  } catch {
    // None yet (or unreadable): make a new one.
  }
  // Shapes from the docs/wechat-protocol.md §0.3: wx + 16 hex, a 32-char secret, a Token, a 43-char AES key.
  const account: DemoAccount = {
    appId: `wx${randomBytes(8).toString('hex')}`,
    appSecret: randomText(32),
    token: randomText(16),
    encodingAESKey: randomText(43),
  };
  await mkdir(stateDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(account, null, 2)}\n`, { mode: 0o600 });
  return account;
}

function randomText(length: number): string {
  const bytes = randomBytes(length);
  return Array.from(bytes, (b) => ALPHANUMERIC[b % ALPHANUMERIC.length]).join('');
}
