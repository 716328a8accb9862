/**
 * Classic libpcap files: 24-byte header (magic 0xa1b2c3d4 for µs or 0xa1b23c4d for ns,
 * in either byte order; version 2.4; snaplen; linktype), then per record
 * ts_sec, ts_frac, incl_len, orig_len (u32 each, file byte order) and the frame.
 */
import { FormatError } from '../../errors.js';
import type { ByteInput } from '../byte-input.js';
import { SUPPORTED_LINKTYPES } from '../frame.js';
import { END, NEED_INPUT, READY, newFrame, type CaptureStats, type FrameReader, type PullResult } from './frame-reader.js';

export const PCAP_MAGIC_US = 0xa1b2c3d4;
export const PCAP_MAGIC_NS = 0xa1b23c4d;
export const PCAP_HEADER_LENGTH = 24;
const RECORD_HEADER = 16;
/** Records beyond this are corruption, whatever the header's snaplen says (tcpdump's max is 256 KiB). */
const MAX_RECORD = 1 << 20;

export function isClassicPcapMagic(v: DataView, off: number): boolean {
  const be = v.getUint32(off, false);
  const le = v.getUint32(off, true);
  return be === PCAP_MAGIC_US || be === PCAP_MAGIC_NS || le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
}

export class ClassicPcapReader implements FrameReader {
  readonly format = 'pcap' as const;
  readonly frame = newFrame();
  readonly littleEndian: boolean;
  readonly nanosecond: boolean;
  readonly versionMajor: number;
  readonly versionMinor: number;
  readonly snaplen: number;
  readonly linktype: number;
  private need = RECORD_HEADER;

  /** `input` must hold at least the 24-byte header at pos. */
  constructor(readonly input: ByteInput) {
    const v = input.view;
    const p = input.pos;
    const le = v.getUint32(p, true);
    this.littleEndian = le === PCAP_MAGIC_US || le === PCAP_MAGIC_NS;
    const magic = v.getUint32(p, this.littleEndian);
    this.nanosecond = magic === PCAP_MAGIC_NS;
    this.versionMajor = v.getUint16(p + 4, this.littleEndian);
    this.versionMinor = v.getUint16(p + 6, this.littleEndian);
    this.snaplen = v.getUint32(p + 16, this.littleEndian);
    // The top bits of the link-type word carry FCS information (pcap-linktype(7)); the type is the low 16.
    this.linktype = v.getUint32(p + 20, this.littleEndian) & 0xffff;
    if (this.versionMajor !== 2) {
      throw new FormatError(input.name, 'byte 4', `pcap version ${this.versionMajor}.${this.versionMinor}, expected 2.4`);
    }
    if (!(this.linktype in SUPPORTED_LINKTYPES)) {
      const known = Object.entries(SUPPORTED_LINKTYPES).map(([k, n]) => `${k} (${n})`).join(', ');
      throw new FormatError(input.name, 'byte 20', `link type ${this.linktype} is not supported; expected one of ${known}`);
    }
    input.pos += PCAP_HEADER_LENGTH;
    this.frame.linktype = this.linktype;
  }

  /** Classic pcap has no place for the capture's own statistics. */
  captureStats(): CaptureStats[] {
    return [];
  }

  describe(): Record<string, string | number> {
    return {
      format: 'pcap',
      timestampResolution: this.nanosecond ? 'ns' : 'us',
      byteOrder: this.littleEndian ? 'little-endian' : 'big-endian',
      version: `${this.versionMajor}.${this.versionMinor}`,
      snaplen: this.snaplen,
      linktype: this.linktype,
      linktypeName: SUPPORTED_LINKTYPES[this.linktype] ?? 'unknown',
    };
  }

  nextSync(): PullResult {
    const input = this.input;
    const avail = input.end - input.pos;
    if (avail < RECORD_HEADER) {
      if (!input.eof) {
        this.need = RECORD_HEADER;
        return NEED_INPUT;
      }
      if (avail === 0) return END;
      throw new FormatError(input.name, `byte ${input.offset} (record ${this.frame.number + 1})`, `truncated record header: ${avail} of 16 bytes before the end of the file`);
    }
    const v = input.view;
    const p = input.pos;
    const le = this.littleEndian;
    const incl = v.getUint32(p + 8, le);
    const orig = v.getUint32(p + 12, le);
    const limit = this.snaplen > 0 ? Math.max(this.snaplen, 65535) : MAX_RECORD;
    if (incl > limit || incl > MAX_RECORD) {
      throw new FormatError(input.name, `byte ${input.offset} (record ${this.frame.number + 1})`, `captured length ${incl} is longer than the snaplen ${this.snaplen}: the file is corrupt`);
    }
    if (avail < RECORD_HEADER + incl) {
      if (!input.eof) {
        this.need = RECORD_HEADER + incl;
        return NEED_INPUT;
      }
      throw new FormatError(input.name, `byte ${input.offset} (record ${this.frame.number + 1})`, `truncated record: header says ${incl} bytes, only ${avail - RECORD_HEADER} remain in the file`);
    }
    const f = this.frame;
    f.number++;
    f.fileOffset = input.offset;
    f.tsSec = v.getUint32(p, le);
    const frac = v.getUint32(p + 4, le);
    f.tsNsec = this.nanosecond ? frac : frac * 1000;
    f.capturedLength = incl;
    f.originalLength = orig;
    f.dataOffset = p + RECORD_HEADER;
    input.pos = p + RECORD_HEADER + incl;
    return READY;
  }

  async fill(): Promise<void> {
    await this.input.fill(this.need);
  }
}
