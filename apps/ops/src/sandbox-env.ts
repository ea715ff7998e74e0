import { readFile } from 'node:fs/promises';
import { relative, resolve } from 'node:path';
import { type CliIo, writeLine } from './cli-io.js';

/** Where the state file of `npm start` is, and whether the process that wrote it still runs. */
export interface SandboxLookup {
  readonly cwd: string;
  readonly isRunning: (pid: number) => boolean;
}

/** What ops and doctor take from the sandbox's state file (libs/wechat-sim `SandboxState`). */
interface Sandbox {
  readonly appId: string;
  readonly token: string | undefined;
  readonly appSecret: string | undefined;
  readonly encodingAESKey: string | undefined;
  readonly simulatorUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly pid: number | undefined;
}

/**
 * `io` with the running sandbox's account, simulator and Redis when `io.env` names no account
 * (neither WECHAT_APPID nor WXQ_ACCOUNTS_FILE) and `npm start` runs here: what it wrote to
 * `<WXQ_STATE_DIR>/sandbox.json` (default `.wxq`), as `npm run sim` reads it. The environment's
 * own values win. Says on stderr which sandbox it uses, or why not. Otherwise `io` unchanged.
 */
export async function withSandbox(io: CliIo, lookup: SandboxLookup): Promise<CliIo> {
  const env = withoutEmpty(io.env);
  if (env['WECHAT_APPID'] !== undefined || env['WXQ_ACCOUNTS_FILE'] !== undefined) return io;
  const file = resolve(lookup.cwd, env['WXQ_STATE_DIR'] ?? '.wxq', 'sandbox.json');
  const shown = relative(lookup.cwd, file) || file;
  const sandbox = await readSandbox(file);
  if (sandbox === undefined) return io;
  if (sandbox.pid !== undefined && !lookup.isRunning(sandbox.pid)) {
    writeLine(io.stderr, `${shown}: its sandbox (pid ${sandbox.pid}) has stopped; not using it`);
    return io;
  }
  const fromSandbox = withoutEmpty({
    WECHAT_APPID: sandbox.appId,
    WECHAT_TOKEN: sandbox.token,
    WECHAT_APPSECRET: sandbox.appSecret,
    WECHAT_ENCODING_AES_KEY: sandbox.encodingAESKey,
    WECHAT_API_BASE_URL: sandbox.simulatorUrl,
    REDIS_URL: sandbox.redisUrl,
  });
  const merged = { ...fromSandbox, ...env };
  const redis = merged['REDIS_CLUSTER_NODES'] !== undefined ? 'REDIS_CLUSTER_NODES' : hostOf(merged['REDIS_URL']);
  writeLine(io.stderr, `using the sandbox of ${shown} (npm start): account ${sandbox.appId}, Redis ${redis}`);
  return { ...io, env: merged };
}

/** The file's fields, checked; undefined when there is no file or it is not a sandbox's. */
async function readSandbox(file: string): Promise<Sandbox | undefined> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return undefined;
  }
  if (!isRecord(parsed) || !isRecord(parsed['account']) || typeof parsed['account']['appId'] !== 'string') {
    return undefined;
  }
  const { account } = parsed;
  const redis = parsed['redis'];
  return {
    appId: parsed['account']['appId'],
    token: stringOf(account['token']),
    appSecret: stringOf(account['appSecret']),
    encodingAESKey: stringOf(account['encodingAESKey']),
    simulatorUrl: stringOf(parsed['simulatorUrl']),
    redisUrl: isRecord(redis) ? stringOf(redis['url']) : undefined,
    pid: typeof parsed['pid'] === 'number' ? parsed['pid'] : undefined,
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Empty values count as unset, as the configuration reads them. */
function withoutEmpty(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined && entry[1] !== ''),
  );
}

/** Host and port only: a REDIS_URL may carry a password. */
function hostOf(url: string | undefined): string {
  if (url === undefined) return 'at the default REDIS_URL';
  try {
    return new URL(url).host;
  } catch {
    return 'REDIS_URL (not a URL)';
  }
}
