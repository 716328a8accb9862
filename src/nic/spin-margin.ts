/**
 * How long before a send time the NIC stops sleeping and spins. It starts at 100 µs and follows
 * how late this host actually wakes a sleeper: the median of its recent oversleeps plus 10 µs,
 * kept within 20-200 µs. A host that wakes it promptly costs less spin; one that wakes it late
 * does not make most packets late. Pure: the oversleeps in, the margin out.
 */
import { LogHistogram } from '../metrics/log-buckets.js';

const START_NS = 100e3;
const MIN_NS = 20e3;
const MAX_NS = 200e3;
const HEADROOM_NS = 10e3;
/** Sleeps per update of the margin. */
export const SPIN_SAMPLES = 256;

export class SpinMargin {
  /** The current margin, ns. */
  ns = START_NS;
  private readonly late = new LogHistogram();

  /** A sleep ended `lateNs` after the time it asked for (negative: early, counted as 0). */
  slept(lateNs: number): void {
    const h = this.late;
    h.record(lateNs > 0 ? lateNs : 0);
    if (h.count < SPIN_SAMPLES) return;
    this.ns = Math.min(MAX_NS, Math.max(MIN_NS, h.at(0.5) + HEADROOM_NS));
    h.clear();
  }
}
