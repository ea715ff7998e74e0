import { z } from 'zod';
import { flag, positiveInt } from './env-schema.js';

/** The WeChat API settings of every process that calls it: the worker (sends), the gateway (getcallbackip). */
export const apiEnvSchema = z.object({
  WECHAT_API_BASE_URL: z.url({ message: 'expected an http(s) URL' }).default('https://api.weixin.qq.com'),
  WECHAT_API_TIMEOUT_MS: positiveInt(5_000),
  /** Another system owns the access_token (WeChat wants one owner per appid): only read it from Redis. */
  WECHAT_TOKEN_READ_ONLY: flag(false),
  /** Use /cgi-bin/stable_token (recommended, docs/wechat-protocol.md §6.1) rather than /cgi-bin/token. */
  WECHAT_STABLE_TOKEN: flag(true),
});

export interface ApiConfig {
  readonly baseUrl: string;
  readonly timeoutMs: number;
  readonly tokenReadOnly: boolean;
  readonly stableToken: boolean;
}

export function toApiConfig(env: z.infer<typeof apiEnvSchema>): ApiConfig {
  return {
    baseUrl: env.WECHAT_API_BASE_URL,
    timeoutMs: env.WECHAT_API_TIMEOUT_MS,
    tokenReadOnly: env.WECHAT_TOKEN_READ_ONLY,
    stableToken: env.WECHAT_STABLE_TOKEN,
  };
}
