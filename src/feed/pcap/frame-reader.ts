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

/**
 * What the capturing host said of its own capture (pcapng's Interface Statistics Block,
 * draft-ietf-opsawg-pcapng §4.6), for one interface: null where the file does not say. Packets
 * it dropped never reached the file, so a sequence gap they explain is the capture's, not the feed's.
 */
export interface CaptureStats {
  interface: string;
  /** isb_ifrecv: packets the interface received from the start of the capture. */
  received: number | null;
  /** isb_ifdrop: packets the interface dropped for want of resources (dumpcap: the capture buffer's drops). */
  droppedByInterface: number | null;
  /** isb_osdrop: packets the operating system dropped for want of buffers. */
  droppedByOs: number | null;
}

export interface FrameReader {
  readonly format: 'pcap' | 'pcapng';
  readonly input: ByteInput;
  readonly frame: CapturedFrame;
  /** Human-readable description of the capture header(s). */
  describe(): Record<string, string | number>;
  /** The capture's own statistics, per interface, as far as read (pcapng only; classic pcap has none). */
  captureStats(): CaptureStats[];
  nextSync(): PullResult;
  fill(): Promise<void>;
}
