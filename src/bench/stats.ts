/** Summaries for the bench: percentiles of one repetition's samples, and the median and spread of repetitions. */

/** The value at percentile `p` (0-100) of `n` samples, nearest rank; sorts the array's first n in place. */
export function percentile(samples: Float64Array, n: number, p: number): number {
  if (n === 0) return NaN;
  const sorted = samples.subarray(0, n).sort();
  const rank = Math.min(n - 1, Math.max(0, Math.ceil((p / 100) * n) - 1));
  return sorted[rank];
}

export interface Latency {
  count: number;
  p50: number;
  p99: number;
  max: number;
}

/** p50/p99/max (ns) of the first `n` samples. */
export function latencyOf(samples: Float64Array, n: number): Latency {
  if (n === 0) return { count: 0, p50: NaN, p99: NaN, max: NaN };
  const s = samples.subarray(0, n).sort();
  return { count: n, p50: percentile(s, n, 50), p99: percentile(s, n, 99), max: s[n - 1] };
}

/** A figure over repetitions: the median, and the spread as min..max of the repetitions. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  runs: number[];
}

export function figure(runs: number[]): Figure {
  const ok = runs.filter((x) => Number.isFinite(x));
  if (ok.length === 0) return { median: NaN, min: NaN, max: NaN, runs };
  const s = [...ok].sort((a, b) => a - b);
  const mid = s.length >> 1;
  const median = s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
  return { median, min: s[0], max: s[s.length - 1], runs };
}
