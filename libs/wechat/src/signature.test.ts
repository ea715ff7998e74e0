import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { computeSignature, isSameSignature, verifyMsgSignature, verifyUrlSignature } from './signature.js';
import { loadWechatVectors as loadVectors } from '@wxq/testing';

const vectors = loadVectors();

describe('published signature vectors', () => {
  for (const { inputs: v } of vectors.published) {
    if (v.kind === 'url_signature') {
      it(`${v.id}: signature`, () => {
        expect(computeSignature([v.token, v.timestamp, v.nonce])).toBe(v.expect_signature);
        expect(verifyUrlSignature({ ...v, signature: v.expect_signature })).toBe(true);
      });
    } else if (v.kind === 'raw_signature') {
      it(`${v.id}: sha1 of sorted parts`, () => {
        expect(computeSignature(v.parts)).toBe(v.expect_signature);
      });
    } else if (v.kind === 'msg_signature') {
      it(`${v.id}: msg_signature`, () => {
        expect(verifyMsgSignature({ ...v, msgSignature: v.expect_signature })).toBe(true);
      });
    } else if (v.kind === 'decrypt') {
      it(`${v.id}: msg_signature over the ciphertext`, () => {
        expect(verifyMsgSignature({ ...v, msgSignature: v.msg_signature })).toBe(true);
        if (v.url_signature !== undefined) {
          expect(verifyUrlSignature({ ...v, signature: v.url_signature })).toBe(true);
        }
      });
    }
  }
});

describe('fresh vectors', () => {
  for (const v of vectors.fresh) {
    it(`${v.id}: both signatures`, () => {
      expect(verifyMsgSignature({ ...v, encrypt: v.encrypt_base64, msgSignature: v.msg_signature })).toBe(true);
      if (v.signature !== undefined) expect(verifyUrlSignature({ ...v, signature: v.signature })).toBe(true);
    });
  }
});

describe('verification rejects', () => {
  const base = { token: 'AAAAA', timestamp: '1714036504', nonce: '1514711492' };
  const good = 'f464b24fc39322e44b38aa78f5edd27bd1441696';

  it('a signature off by one character, in either case or length', () => {
    expect(verifyUrlSignature({ ...base, signature: good })).toBe(true);
    expect(verifyUrlSignature({ ...base, signature: `${good.slice(0, -1)}7` })).toBe(false);
    expect(verifyUrlSignature({ ...base, signature: good.toUpperCase() })).toBe(false);
    expect(verifyUrlSignature({ ...base, signature: good.slice(1) })).toBe(false);
    expect(verifyUrlSignature({ ...base, signature: `${good}0` })).toBe(false);
    expect(verifyUrlSignature({ ...base, signature: '' })).toBe(false);
  });

  it('a wrong token, or timestamp and nonce swapped into other positions still sorts the same', () => {
    expect(verifyUrlSignature({ ...base, token: 'AAAAB', signature: good })).toBe(false);
    // Sorting makes the order of the parts irrelevant, as WeChat specifies (docs/wechat-protocol.md §1).
    expect(verifyUrlSignature({ token: 'AAAAA', timestamp: '1514711492', nonce: '1714036504', signature: good })).toBe(
      true,
    );
  });

  it('sorts by code unit, not by locale (uppercase before lowercase)', () => {
    const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');
    expect(computeSignature(['b', 'B', 'a'])).toBe(sha1('Bab'));
    expect(computeSignature(['b', 'B', 'a'])).not.toBe(sha1('aBb'));
  });

  it('compares multibyte input without throwing', () => {
    expect(isSameSignature('é'.repeat(20), 'a'.repeat(40))).toBe(false);
    expect(isSameSignature('a'.repeat(40), 'a'.repeat(40))).toBe(true);
  });
});
