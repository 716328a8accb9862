/**
 * Wire-to-application latency: HDR histograms per (subscriber, group, path) and per clock, from
 * the packet's scheduled wire time (the headline: a backlog shows, no coordinated omission) and
 * from the NIC's actual send. Subscribers count into shared memory (shm-histogram.ts); the
 * controller builds these histograms from the counts.
 */
import * as hdr from 'hdr-histogram-js';

export type Clock = 'scheduled' | 'sent';
export type RecordedPath = 'bypass' | 'kernel' | 'offload';
export const RECORDED_PATHS: readonly RecordedPath[] = ['bypass', 'kernel', 'offload'];
export const CLOCKS: readonly Clock[] = ['scheduled', 'sent'];

export const LOWEST_NS = 1;
export const HIGHEST_NS = 60e9;

/** One interval of one series, encoded (HdrHistogram's compressed form), for result files. */
export interface EncodedInterval {
  startMs: number;
  endMs: number;
  /** The interval's largest value, ns (for the log's Interval_Max column). */
  maxNs: number;
  histogram: string;
}

let wasmReady = false;

export async function initHistograms(): Promise<void> {
  if (!wasmReady) {
    await hdr.initWebAssembly();
    wasmReady = true;
  }
}

export function newHistogram(useWasm = wasmReady): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: LOWEST_NS, highestTrackableValue: HIGHEST_NS, numberOfSignificantValueDigits: 3, useWebAssembly: useWasm, autoResize: false });
}
