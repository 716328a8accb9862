/**
 * Log histograms of nanoseconds, with no allocation per value and a few integer operations:
 * 64 buckets, two per octave (the NIC's lag, in its segment: ×1.5 is close enough), and a finer
 * one, eight per octave (the A/B arbitration delay). Latency goes in the HDR histograms.
 */
export const LOG_BUCKETS = 64;

/** The bucket of `ns`: 2e + h for ns in [2^e, 2^e·1.5) (h = 0) or [2^e·1.5, 2^(e+1)) (h = 1). */
export function logBucket(ns: number): number {
  if (!(ns >= 1)) return 0;
  const v = ns >= 0x7fffffff ? 0x7fffffff : ns | 0;
  const e = 31 - Math.clz32(v);
  const half = e >= 1 && (v >>> (e - 1)) & 1 ? 1 : 0;
  const b = 2 * e + half;
  return b < LOG_BUCKETS ? b : LOG_BUCKETS - 1;
}

/** The upper bound of a bucket, ns. */
export function logBucketTop(b: number): number {
  const e = b >> 1;
  return b & 1 ? 2 ** (e + 1) : 1.5 * 2 ** e;
}

/** Percentiles of bucket counts, each the bucket's top but never above the exact maximum. */
export function logPercentile(counts: ArrayLike<number>, offset: number, q: number, max: number): number {
  let total = 0;
  for (let b = 0; b < LOG_BUCKETS; b++) total += counts[offset + b];
  const want = Math.ceil(total * q);
  let n = 0;
  for (let b = 0; b < LOG_BUCKETS; b++) {
    n += counts[offset + b];
    if (n >= want && n > 0) return Math.min(logBucketTop(b), max);
  }
  return 0;
}

/** Finer buckets for LogHistogram: eight per octave (each within 12.5% of its values). */
const FINE_BITS = 3;
const FINE_BUCKETS = 32 << FINE_BITS;

function fineBucket(ns: number): number {
  if (!(ns >= 1)) return 0;
  const v = ns >= 0x7fffffff ? 0x7fffffff : ns | 0;
  const e = 31 - Math.clz32(v);
  const sub = e >= FINE_BITS ? (v >>> (e - FINE_BITS)) & ((1 << FINE_BITS) - 1) : (v << (FINE_BITS - e)) & ((1 << FINE_BITS) - 1);
  return (e << FINE_BITS) + sub;
}

function fineTop(b: number): number {
  const e = b >> FINE_BITS;
  const sub = b & ((1 << FINE_BITS) - 1);
  return 2 ** e * (1 + (sub + 1) / (1 << FINE_BITS));
}

/** A log histogram of ns with eight buckets per octave: no allocation per value. */
export class LogHistogram {
  readonly counts = new Float64Array(FINE_BUCKETS);
  count = 0;
  max = 0;

  record(ns: number): void {
    this.counts[fineBucket(ns)] += 1;
    this.count++;
    if (ns > this.max) this.max = ns;
  }

  /** The value at quantile q: its bucket's top, never above the exact maximum. */
  at(q: number): number {
    const want = Math.ceil(this.count * q);
    let n = 0;
    for (let b = 0; b < FINE_BUCKETS; b++) {
      n += this.counts[b];
      if (n >= want && n > 0) return Math.min(fineTop(b), this.max);
    }
    return 0;
  }

  clear(): void {
    this.counts.fill(0);
    this.count = 0;
    this.max = 0;
  }

  /** Adds another histogram's counts to this one's (a subscriber's sockets into one figure). */
  add(o: LogHistogram): void {
    for (let b = 0; b < FINE_BUCKETS; b++) this.counts[b] += o.counts[b];
    this.count += o.count;
    if (o.max > this.max) this.max = o.max;
  }

  summary(): { count: number; p50: number; p99: number; max: number } {
    return { count: this.count, p50: this.at(0.5), p99: this.at(0.99), max: this.max };
  }
}
