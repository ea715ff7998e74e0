// Test-only: the shared WeChat crypto vectors (reference §9), read from @wxq/wechat's copy and
// narrowed to the fields the gateway tests send. Excluded from the build.
import { readFileSync } from 'node:fs';

const VECTORS_FILE = new URL('../../../libs/wechat/test-vectors/wechat-crypto-vectors.json', import.meta.url);

/** A `fresh` entry: a push as WeChat would send it in safe mode, signed for its 2023 timestamp. */
export interface FreshPushVector {
  readonly id: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly timestamp: string;
  readonly nonce: string;
  /** The callback query string: signature, timestamp, nonce, openid, encrypt_type=aes, msg_signature. */
  readonly query: string;
  readonly postBodySafeMode: string;
  readonly plaintextXml: string;
  readonly encryptBase64: string;
}

/** A `negative` entry: a signed ciphertext a strict decoder must refuse. */
export interface NegativeVector {
  readonly id: string;
  readonly token: string;
  readonly encodingAESKey: string;
  readonly appid: string;
  readonly timestamp: string;
  readonly nonce: string;
  readonly encryptBase64: string;
  readonly msgSignature: string;
}

interface VectorFile {
  readonly fresh: readonly FreshPushVector[];
  readonly negative: readonly NegativeVector[];
}

let cached: VectorFile | undefined;

function load(): VectorFile {
  if (cached !== undefined) return cached;
  const json: unknown = JSON.parse(readFileSync(VECTORS_FILE, 'utf8'));
  const root = record(json, 'the vector file');
  const fresh = list(root['fresh'], 'fresh')
    .map((entry) => record(entry, 'a fresh vector'))
    // The reply vector has no push to send.
    .filter((entry) => entry['query'] !== undefined && entry['post_body_safe_mode'] !== undefined)
    .map((entry) => ({
      id: text(entry, 'id'),
      token: text(entry, 'token'),
      encodingAESKey: text(entry, 'encodingAESKey'),
      appid: text(entry, 'appid'),
      timestamp: text(entry, 'timestamp'),
      nonce: text(entry, 'nonce'),
      query: text(entry, 'query'),
      postBodySafeMode: text(entry, 'post_body_safe_mode'),
      plaintextXml: text(entry, 'plaintext_xml'),
      encryptBase64: text(entry, 'encrypt_base64'),
    }));
  const negative = list(root['negative'], 'negative')
    .map((entry) => record(entry, 'a negative vector'))
    .map((entry) => ({
      id: text(entry, 'id'),
      token: text(entry, 'token'),
      encodingAESKey: text(entry, 'encodingAESKey'),
      appid: text(entry, 'appid'),
      timestamp: text(entry, 'timestamp'),
      nonce: text(entry, 'nonce'),
      encryptBase64: text(entry, 'encrypt_base64'),
      msgSignature: text(entry, 'msg_signature'),
    }));
  cached = { fresh, negative };
  return cached;
}

export function freshPushVectors(): readonly FreshPushVector[] {
  return load().fresh;
}

export function negativeVector(id: string): NegativeVector {
  const found = load().negative.find((vector) => vector.id === id);
  if (found === undefined) throw new Error(`no negative vector ${id}`);
  return found;
}

function record(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error(`${what} is not an object`);
  return value as Record<string, unknown>;
}

function list(value: unknown, what: string): readonly unknown[] {
  if (!Array.isArray(value)) throw new Error(`${what} is not an array`);
  return value;
}

function text(entry: Record<string, unknown>, key: string): string {
  const value = entry[key];
  if (typeof value !== 'string') throw new Error(`vector field ${key} is not a string`);
  return value;
}
