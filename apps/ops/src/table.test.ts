import { describe, expect, it } from 'vitest';
import { formatTable } from './table.js';

describe('formatTable', () => {
  it('pads every column to its widest cell, two spaces apart, without trailing blanks', () => {
    expect(
      formatTable(
        ['queue', 'failed'],
        [
          ['inbound', '2'],
          ['outbound', '10'],
        ],
      ),
    ).toBe('queue     failed\ninbound   2\noutbound  10');
  });
});
