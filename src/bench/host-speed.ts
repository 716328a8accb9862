/**
 * How fast this host's CPU was while the bench ran, so that figures with no floor measured beside
 * them (model deliveries per second, the first frame, the controller's CPU share) can be compared
 * across hosts: a fixed single-threaded loop's time per turn at the start and at the end, and the
 * share of CPU time the hypervisor stole over the whole bench (/proc/stat's steal column).
 */
import { hostBetween, sampleHost, stealShareOf } from '../metrics/proc-sample.js';

export interface HostSpeed {
  /** Nanoseconds per turn of the reference loop (the least of a few tries), at the bench's start and end. */
  referenceNs: { start: number; end: number };
  /** Steal over the bench, as a share of all CPU time; null where /proc/stat cannot be read or no time passed. */
  stealShare: number | null;
}

const TURNS = 20_000_000;
/** Each try's result lands here, where V8 must keep it: the loop's work cannot be optimised away. */
let sink = 0;

/** One try: an xorshift over TURNS turns. */
function tryOnce(): number {
  let x = 0x9e3779b9;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < TURNS; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  sink ^= x;
  return Number(process.hrtime.bigint() - t0) / TURNS;
}

/** The reference loop's ns per turn: the least of `tries`, as the host at its best at that moment. */
export function referenceLoopNs(tries = 3): number {
  let best = Infinity;
  for (let i = 0; i < tries; i++) best = Math.min(best, tryOnce());
  return best;
}

/** The xorshift state the tries left (for the test that the loop ran). */
export const referenceSink = (): number => sink;

/** Starts measuring; the returned function ends it. */
export function startHostSpeed(): () => HostSpeed {
  const start = referenceLoopNs();
  const first = sampleHost();
  return () => {
    const last = sampleHost();
    return { referenceNs: { start, end: referenceLoopNs() }, stealShare: stealShareOf(hostBetween(first, last)) };
  };
}

/** The bench's line for it. */
export function formatHostSpeed(s: HostSpeed): string {
  const steal = s.stealShare === null ? 'steal not measured' : `the hypervisor stole ${(s.stealShare * 100).toFixed(1)}% of the CPU time over the bench`;
  return `host speed: a fixed JS loop, ${s.referenceNs.start.toFixed(2)} ns per turn at the start and ${s.referenceNs.end.toFixed(2)} at the end (figures with no floor beside them scale with it across hosts); ${steal}`;
}
