import { describe, expect, it } from 'vitest';
import { formatRatio, median, percentile, ratios, slope } from './stats.js';

describe('bench statistics', () => {
  it('median of odd and even counts, unsorted input left as it was', () => {
    const values = [3, 1, 2];
    expect(median(values)).toBe(2);
    expect(values).toEqual([3, 1, 2]);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([])).toBeNaN();
  });

  it('percentile takes the nearest rank of sorted values', () => {
    const sorted = Array.from({ length: 100 }, (_, i) => i + 1);
    expect(percentile(sorted, 0.5)).toBe(51);
    expect(percentile(sorted, 0.99)).toBe(100);
    expect(percentile([7], 0.99)).toBe(7);
    expect(percentile([], 0.99)).toBeUndefined();
  });

  it('ratios pair rounds by index', () => {
    expect(ratios([10, 30], [20, 30])).toEqual([0.5, 1]);
    expect(ratios([10, 30], [20])[1]).toBeNaN();
  });

  it('formats the median ratio with the range of the rounds', () => {
    expect(formatRatio([0.71, 0.78, 0.74])).toBe('0.74 (0.71–0.78)');
    expect(formatRatio([1.2])).toBe('1.20');
    expect(formatRatio([])).toBe('');
  });

  it('slope: least squares, 0 for a flat line or fewer than two points', () => {
    expect(
      slope([
        [0, 1],
        [1, 3],
        [2, 5],
      ]),
    ).toBeCloseTo(2);
    expect(
      slope([
        [0, 4],
        [1, 4],
        [2, 4],
      ]),
    ).toBe(0);
    expect(slope([[3, 1]])).toBe(0);
    expect(
      slope([
        [1, 1],
        [1, 5],
      ]),
    ).toBe(0);
  });
});
