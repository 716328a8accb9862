/**
 * Wire-to-application latency, recorded into HDR histograms per (group, path) and per clock:
 * from the packet's scheduled wire time (the headline: a backlog shows, no coordinated omission)
 * and from the NIC's actual send. Intervals are handed off Recorder-style: encode, then reset,
 * so recording never waits for the reader.
 */
import * as hdr from 'hdr-histogram-js';

export type Clock = 'scheduled' | 'sent';
export type RecordedPath = 'bypass' | 'kernel';
export const RECORDED_PATHS: readonly RecordedPath[] = ['bypass', 'kernel'];
export const CLOCKS: readonly Clock[] = ['scheduled', 'sent'];

export const LOWEST_NS = 1;
export const HIGHEST_NS = 60e9;

export interface EncodedInterval {
  group: number;
  path: RecordedPath;
  clock: Clock;
  startMs: number;
  endMs: number;
  /** hdr-histogram-js compressed base64 (the HdrHistogram V2 compressed encoding). */
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

export class LatencyRecorder {
  /** Index: (group * 2 + path) * 2 + clock. */
  private readonly histograms: (hdr.Histogram | undefined)[] = [];
  private intervalStartMs = Date.now();

  private histogram(i: number): hdr.Histogram {
    let h = this.histograms[i];
    if (!h) h = this.histograms[i] = newHistogram();
    return h;
  }

  /** One packet: latency from its scheduled and from its actual send time, in ns. */
  record(group: number, path: 0 | 1, fromScheduledNs: number, fromSentNs: number): void {
    const i = (group * 2 + path) * 2;
    this.histogram(i).recordValue(clamp(fromScheduledNs));
    this.histogram(i + 1).recordValue(clamp(fromSentNs));
  }

  /** The interval since the last call, encoded; the histograms start afresh. */
  takeIntervals(): EncodedInterval[] {
    const end = Date.now();
    const out: EncodedInterval[] = [];
    this.histograms.forEach((h, i) => {
      if (!h || h.totalCount === 0) return;
      out.push({
        group: i >> 2,
        path: RECORDED_PATHS[(i >> 1) & 1],
        clock: CLOCKS[i & 1],
        startMs: this.intervalStartMs,
        endMs: end,
        histogram: hdr.encodeIntoCompressedBase64(h),
      });
      h.reset();
    });
    this.intervalStartMs = end;
    return out;
  }

  destroy(): void {
    for (const h of this.histograms) h?.destroy();
  }
}

/** Sub-resolution values (clock calibration is good to ~0.1 µs) are floored at the lowest value. */
function clamp(ns: number): number {
  if (ns < LOWEST_NS) return LOWEST_NS;
  if (ns > HIGHEST_NS) return HIGHEST_NS;
  return Math.round(ns);
}
