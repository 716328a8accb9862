/** What the pcap and pcapng readers share: a pull cursor over captured frames. */
import type { ByteInput } from '../byte-input.js';

export interface CapturedFrame {
  /** 1-based, as Wireshark numbers frames. */
  number: number;
  /** Offset of the record (or block) in the file. */
  fileOffset: number;
  tsSec: number;
  tsNsec: number;
  linktype: number;
  /** Offset of the frame's bytes in `input.buf`; valid until the next `fill`. */
  dataOffset: number;
  capturedLength: number;
  originalLength: number;
}

export function newFrame(): CapturedFrame {
  return { number: 0, fileOffset: 0, tsSec: 0, tsNsec: 0, linktype: 0, dataOffset: 0, capturedLength: 0, originalLength: 0 };
}

/** nextSync: READY (frame holds a record), END (no more), NEED_INPUT (await fill, then call again). */
export const READY = 1;
export const END = 0;
export const NEED_INPUT = -1;
export type PullResult = typeof READY | typeof END | typeof NEED_INPUT;

export interface FrameReader {
  readonly format: 'pcap' | 'pcapng';
  readonly input: ByteInput;
  readonly frame: CapturedFrame;
  /** Human-readable description of the capture header(s). */
  describe(): Record<string, string | number>;
  nextSync(): PullResult;
  fill(): Promise<void>;
}
