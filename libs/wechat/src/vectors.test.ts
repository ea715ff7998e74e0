import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { VECTORS_URL, loadWechatVectors as loadVectors } from '@wxq/testing';

const SHARED = new URL('../../../../shared/vectors/wechat-crypto-vectors.json', import.meta.url);

describe('the in-repo copy of the shared vectors', () => {
  it.skipIf(!existsSync(SHARED))('is byte for byte the team reference in ../shared/vectors', () => {
    expect(readFileSync(VECTORS_URL)).toEqual(readFileSync(SHARED));
  });

  it('holds every group the reference describes (docs/wechat-protocol.md §9)', () => {
    const vectors = loadVectors();
    expect(vectors.published).toHaveLength(14);
    expect(vectors.fresh).toHaveLength(5);
    expect(vectors.negative).toHaveLength(4);
  });
});
