/**
 * CLOCK_MONOTONIC in nanoseconds, comparable across processes on one host, without allocating:
 * the addon's clock (clock_gettime into a cell, ~33 ns). Node's clocks all allocate per call:
 * performance.now() boxes a heap number (a spinning reader made a scavenge every few ms of it),
 * process.hrtime() an array, process.hrtime.bigint() a BigInt. Without the addon, performance.now()
 * plus its offset to CLOCK_MONOTONIC (both read libuv's uv_hrtime), calibrated once here.
 */
import { performance } from 'node:perf_hooks';
import { allocationFreeClock } from '../shm/segment.js';

function calibrate(): { offsetNs: number; uncertaintyNs: number } {
  let best = Infinity;
  let offset = 0;
  for (let i = 0; i < 500; i++) {
    const a = process.hrtime.bigint();
    const p = performance.now();
    const b = process.hrtime.bigint();
    const window = Number(b - a);
    if (window < best) {
      best = window;
      offset = Number((a + b) / 2n) - p * 1e6;
    }
  }
  return { offsetNs: offset, uncertaintyNs: best / 2 };
}

const addonClock = allocationFreeClock();
const tick = addonClock?.now;
const cell = addonClock?.cell;
const calibration = tick ? { offsetNs: 0, uncertaintyNs: 0 } : calibrate();

/**
 * The clock as a cell and a tick, for hot loops: `tickClock(); const t = clockCell[0]`. A double
 * returned from a call that is not inlined is boxed (a heap number per read); read from the
 * cell, it stays a raw double in the caller.
 */
export const clockCell: Float64Array = cell ?? new Float64Array(1);
export const tickClock: () => void = tick && cell
  ? tick
  : () => {
      clockCell[0] = performance.now() * 1e6 + calibration.offsetNs;
    };

/** Monotonic nanoseconds (a double: exact to the nanosecond for 104 days of uptime). */
export const nowNs: () => number = () => {
  tickClock();
  return clockCell[0];
};

/** Busy-waits until `deadlineNs` (monotonic). */
export function spinUntil(deadlineNs: number): void {
  while (nowNs() < deadlineNs) {
    // spin: the NIC's pacing and a spinning subscriber's poll loop
  }
}
