// Per-round figures and their summary. This machine's speed drifts by tens of percent within
// minutes, so a ratio is only taken between targets measured in the same round, side by side,
// and the rounds' ratios are reported as their median and range.

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** The `q` quantile (0..1) of ascending `sorted` values, nearest rank; undefined when there are none. */
export function percentile(sorted: readonly number[], q: number): number | undefined {
  if (sorted.length === 0) return undefined;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

/** Round-by-round ratios `numerator[i] / denominator[i]`. */
export function ratios(numerator: readonly number[], denominator: readonly number[]): number[] {
  return numerator.map((value, i) => value / (denominator[i] ?? Number.NaN));
}

/** "0.74 (0.71–0.78)": the median ratio, then the lowest and highest round. */
export function formatRatio(values: readonly number[]): string {
  if (values.length === 0) return '';
  const text = median(values).toFixed(2);
  return values.length === 1 ? text : `${text} (${Math.min(...values).toFixed(2)}–${Math.max(...values).toFixed(2)})`;
}

/** Least-squares slope of y over x. */
export function slope(points: readonly (readonly [number, number])[]): number {
  if (points.length < 2) return 0;
  const n = points.length;
  const mx = points.reduce((a, [x]) => a + x, 0) / n;
  const my = points.reduce((a, [, y]) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}
