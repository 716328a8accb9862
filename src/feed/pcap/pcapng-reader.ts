/**
 * pcapng (draft-ietf-opsawg-pcapng): blocks of type(4) · total length(4) · body · total length(4).
 * Section Header Block 0x0A0D0D0A with byte-order magic 0x1A2B3C4D; Interface Description
 * Block (1) with option if_tsresol (9); Enhanced Packet Block (6); the obsolete Packet Block (2)
 * and the Simple Packet Block (3) are read too. Several interfaces, several sections.
 */
import { FormatError } from '../../errors.js';
import { divmodU64 } from '../bytes.js';
import type { ByteInput } from '../byte-input.js';
import { SUPPORTED_LINKTYPES } from '../frame.js';
import { END, NEED_INPUT, READY, newFrame, type CaptureStats, type FrameReader, type PullResult } from './frame-reader.js';

export const PCAPNG_SHB = 0x0a0d0d0a;
const BYTE_ORDER_MAGIC = 0x1a2b3c4d;
const IDB = 1;
const PB = 2;
const SPB = 3;
const EPB = 6;
const ISB = 5;
const OPT_END = 0;
const OPT_IF_NAME = 2;
const OPT_ISB_IFRECV = 4;
const OPT_ISB_IFDROP = 5;
const OPT_ISB_OSDROP = 7;
const OPT_IF_TSRESOL = 9;
const OPT_IF_TSOFFSET = 14;
const MAX_BLOCK = 16 << 20;

interface Interface {
  linktype: number;
  snaplen: number;
  /** Timestamp units per second are `base ** exponent`. */
  base: 10 | 2;
  exponent: number;
  offsetSec: number;
  name: string;
  /** The last Interface Statistics Block's figures (a capture may write several: the last is the total). */
  stats: CaptureStats | null;
}

function resolutionName(i: Interface): string {
  if (i.base === 10 && i.exponent === 9) return 'ns';
  if (i.base === 10 && i.exponent === 6) return 'us';
  return `${i.base}^-${i.exponent} s`;
}

export class PcapngReader implements FrameReader {
  readonly format = 'pcapng' as const;
  readonly frame = newFrame();
  private le = true;
  private interfaces: Interface[] = [];
  private sections = 0;
  private need = 8;
  private readonly allInterfaces: Interface[] = [];

  constructor(readonly input: ByteInput) {}

  describe(): Record<string, string | number> {
    return {
      format: 'pcapng',
      byteOrder: this.le ? 'little-endian' : 'big-endian',
      sections: this.sections,
      interfaces: this.allInterfaces.length,
      linktypes: [...new Set(this.allInterfaces.map((i) => i.linktype))].join(','),
      timestampResolution: [...new Set(this.allInterfaces.map(resolutionName))].join(','),
    };
  }

  captureStats(): CaptureStats[] {
    return this.allInterfaces.flatMap((i) => (i.stats ? [i.stats] : []));
  }

  private where(extra = ''): string {
    return `byte ${this.input.offset}${extra}`;
  }

  nextSync(): PullResult {
    const input = this.input;
    for (;;) {
      const avail = input.end - input.pos;
      if (avail < 12) {
        if (!input.eof) {
          this.need = 12;
          return NEED_INPUT;
        }
        if (avail === 0) return END;
        throw new FormatError(input.name, this.where(), `truncated block header: ${avail} bytes before the end of the file`);
      }
      const v = input.view;
      const p = input.pos;
      let type = v.getUint32(p, this.le);
      if (v.getUint32(p, true) === PCAPNG_SHB) {
        type = PCAPNG_SHB;
        const bom = v.getUint32(p + 8, true);
        if (bom === BYTE_ORDER_MAGIC) this.le = true;
        else if (v.getUint32(p + 8, false) === BYTE_ORDER_MAGIC) this.le = false;
        else throw new FormatError(input.name, this.where(), 'section header block has no valid byte-order magic');
      }
      const total = v.getUint32(p + 4, this.le);
      if (total < 12 || total % 4 !== 0 || total > MAX_BLOCK) {
        throw new FormatError(input.name, this.where(), `block length ${total} is invalid (must be a multiple of 4, at least 12): the file is corrupt`);
      }
      if (avail < total) {
        if (!input.eof) {
          this.need = total;
          return NEED_INPUT;
        }
        throw new FormatError(input.name, this.where(), `truncated block: header says ${total} bytes, only ${avail} remain in the file`);
      }
      if (v.getUint32(p + total - 4, this.le) !== total) {
        throw new FormatError(input.name, this.where(), `block's trailing length does not match its leading length ${total}: the file is corrupt`);
      }
      const blockOffset = input.offset;
      input.pos = p + total;
      switch (type) {
        case PCAPNG_SHB:
          this.sections++;
          this.interfaces = [];
          continue;
        case IDB:
          this.readInterface(v, p, total, blockOffset);
          continue;
        case ISB:
          this.readStatistics(v, p, total, blockOffset);
          continue;
        case EPB:
        case PB: {
          const iface = type === EPB ? v.getUint32(p + 8, this.le) : v.getUint16(p + 8, this.le);
          const cap = v.getUint32(p + 20, this.le);
          if (28 + cap + 4 > total) {
            throw new FormatError(input.name, `byte ${blockOffset}`, `packet block's captured length ${cap} overruns the block (${total} bytes)`);
          }
          this.setFrame(iface, v.getUint32(p + 12, this.le), v.getUint32(p + 16, this.le), p + 28, cap, v.getUint32(p + 24, this.le), blockOffset);
          return READY;
        }
        case SPB: {
          const orig = v.getUint32(p + 8, this.le);
          const cap = Math.min(orig, total - 16);
          // A simple packet block has no timestamp: it keeps the previous frame's time.
          this.setFrameRaw(0, p + 12, cap, orig, blockOffset);
          return READY;
        }
        default:
          continue; // name resolution, statistics, custom blocks: not packets
      }
    }
  }

  /**
   * Walks a block's options (code(2) · length(2) · value, padded to 32 bits) from `o` to the
   * block's trailing length, up to opt_endofopt; `what` names them in the error for one that overruns.
   */
  private eachOption(v: DataView, o: number, end: number, blockOffset: number, what: string, take: (code: number, at: number, len: number) => void): void {
    while (o + 4 <= end) {
      const code = v.getUint16(o, this.le);
      const len = v.getUint16(o + 2, this.le);
      if (code === OPT_END) break;
      if (o + 4 + len > end) throw new FormatError(this.input.name, `byte ${blockOffset}`, `${what} overruns its block`);
      take(code, o + 4, len);
      o += 4 + ((len + 3) & ~3);
    }
  }

  private readInterface(v: DataView, p: number, total: number, blockOffset: number): void {
    const iface: Interface = { linktype: v.getUint16(p + 8, this.le), snaplen: v.getUint32(p + 12, this.le), base: 10, exponent: 6, offsetSec: 0, name: `interface ${this.allInterfaces.length}`, stats: null };
    this.eachOption(v, p + 16, p + total - 4, blockOffset, 'interface option', (code, at, len) => {
      if (code === OPT_IF_NAME && len > 0) {
        iface.name = this.input.buf.toString('utf8', at, at + len).replace(/\0+$/, '');
      } else if (code === OPT_IF_TSRESOL && len >= 1) {
        const r = this.input.buf[at];
        iface.base = r & 0x80 ? 2 : 10;
        iface.exponent = r & 0x7f;
      } else if (code === OPT_IF_TSOFFSET && len >= 8) {
        iface.offsetSec = Number(v.getBigInt64(at, this.le));
      }
    });
    this.interfaces.push(iface);
    this.allInterfaces.push(iface);
  }

  /** An Interface Statistics Block: interface id(4), timestamp(8), options; the counters are u64. */
  private readStatistics(v: DataView, p: number, total: number, blockOffset: number): void {
    if (total < 24) throw new FormatError(this.input.name, `byte ${blockOffset}`, `interface statistics block of ${total} bytes is shorter than its 24-byte minimum`);
    const id = v.getUint32(p + 8, this.le);
    const iface = this.interfaces[id];
    if (!iface) throw new FormatError(this.input.name, `byte ${blockOffset}`, `interface statistics refer to interface ${id}, but the section describes ${this.interfaces.length}`);
    const stats: CaptureStats = { interface: iface.name, received: null, droppedByInterface: null, droppedByOs: null };
    this.eachOption(v, p + 20, p + total - 4, blockOffset, 'interface statistics option', (code, at, len) => {
      if (len !== 8) return;
      if (code === OPT_ISB_IFRECV) stats.received = Number(v.getBigUint64(at, this.le));
      else if (code === OPT_ISB_IFDROP) stats.droppedByInterface = Number(v.getBigUint64(at, this.le));
      else if (code === OPT_ISB_OSDROP) stats.droppedByOs = Number(v.getBigUint64(at, this.le));
    });
    iface.stats = stats;
  }

  private setFrameRaw(ifaceId: number, dataOffset: number, cap: number, orig: number, blockOffset: number): Interface {
    const iface = this.interfaces[ifaceId];
    if (!iface) {
      throw new FormatError(this.input.name, `byte ${blockOffset}`, `packet refers to interface ${ifaceId}, but the section describes ${this.interfaces.length}`);
    }
    const f = this.frame;
    f.number++;
    f.fileOffset = blockOffset;
    f.linktype = iface.linktype;
    f.dataOffset = dataOffset;
    f.capturedLength = cap;
    f.originalLength = orig;
    return iface;
  }

  private setFrame(ifaceId: number, high: number, low: number, dataOffset: number, cap: number, orig: number, blockOffset: number): void {
    const iface = this.setFrameRaw(ifaceId, dataOffset, cap, orig, blockOffset);
    const f = this.frame;
    const units = iface.base === 10 ? 10 ** iface.exponent : 2 ** iface.exponent;
    if (units > 2 ** 30) {
      throw new FormatError(this.input.name, `byte ${blockOffset}`, `interface timestamp resolution ${iface.base}^-${iface.exponent} is finer than mdlab reads`);
    }
    const { quotient, remainder } = divmodU64(high, low, units);
    f.tsSec = quotient + iface.offsetSec;
    f.tsNsec = iface.base === 10
      ? iface.exponent <= 9 ? remainder * 10 ** (9 - iface.exponent) : Math.floor(remainder / 10 ** (iface.exponent - 9))
      : Math.floor((remainder * 1e9) / units);
  }

  async fill(): Promise<void> {
    await this.input.fill(this.need);
  }
}
