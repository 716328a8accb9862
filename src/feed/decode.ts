/**
 * `mdlab decode`: every message of a recording, one line each, with every field by its spec
 * name (layout table, ../shared/specs/nasdaq-totalview-itch-5.0.txt). Streams: one packet at a
 * time from the reader, lines handed to a sink that may ask the loop to wait (backpressure), so
 * a day file decodes in flat memory. Text for people; JSON lines with exact integers for scripts
 * (u64 fields and prices as integer literals, never rounded through a double).
 */
import { readAlpha, readU48 } from './bytes.js';
import { formatGroup } from './channels.js';
import { checkMessage, formatItchTime, formatPrice4, formatPrice8, wireTimeText } from './itch/codec.js';
import { HEADER_FIELDS, MESSAGE_BY_CODE, type FieldDef } from './itch/layout.js';
import type { FeedReader } from './feed-reader.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, moldSession } from './moldudp64.js';

export interface Range {
  from: number;
  to: number;
}

export interface DecodeFilter {
  /** ITCH type bytes to show (null: all, and heartbeats and end-of-session too). */
  types: Set<number> | null;
  /** Stock symbol: messages with this stock, and every message carrying its locate once seen. */
  stock: string | null;
  locate: number | null;
  packets: Range | null;
  session: string | null;
  /** Message sequence numbers (MoldUDP64: the packet's sequence + the message's index). */
  seq: Range | null;
}

export const NO_FILTER: DecodeFilter = { types: null, stock: null, locate: null, packets: null, session: null, seq: null };

export interface DecodeSink {
  /** Takes a line (without its newline); false asks the loop to await `drain` before more. */
  push(line: string): boolean;
  drain(): Promise<void>;
  /** True once the reader of the output has gone (a closed pipe): stop reading. */
  readonly closed: boolean;
}

export interface DecodeSummary {
  file: string;
  format: string;
  packets: number;
  messages: number;
  shown: number;
  malformed: number;
  seconds: number;
}

const STOCK_FIELD = 'stock';

function timeOfDay(sec: number, nsec: number): string {
  // Captures carry epoch times, packetized ITCH files times of day: both print as a time of day (UTC).
  return formatItchTime((sec % 86400) * 1e9 + nsec);
}


/** Exact decimal digits of sec·1e9 + nsec, past 2^53. */
function epochNsDigits(sec: number, nsec: number): string {
  return (BigInt(sec) * 1_000_000_000n + BigInt(nsec)).toString();
}

/** A u64 as exact digits: through a double where it is below 2^53 (nearly always), else BigInt. */
function u64Digits(v: DataView, off: number): string {
  const hi = v.getUint32(off);
  return hi < 0x200000 ? String(hi * 0x1_0000_0000 + v.getUint32(off + 4)) : v.getBigUint64(off).toString();
}

function textValue(s: string): string {
  return s === '' || s.includes(' ') || s.includes('=') ? JSON.stringify(s) : s;
}

function fieldText(v: DataView, bytes: Uint8Array, base: number, f: FieldDef): string {
  const off = base + f.offset;
  switch (f.kind) {
    case 'char':
      return textValue(String.fromCharCode(bytes[off]));
    case 'alpha':
      return textValue(readAlpha(bytes, off, f.length));
    case 'u16':
      return String(v.getUint16(off));
    case 'u32':
      return String(v.getUint32(off));
    case 'price4':
      return formatPrice4(v.getUint32(off));
    case 'u48':
      return f.name === 'timestamp' ? formatItchTime(readU48(v, off)) : String(readU48(v, off));
    case 'u64':
      return u64Digits(v, off);
    case 'price8':
      return formatPrice8(v.getBigUint64(off));
  }
}

/** A JSON value: integers as exact literals (prices with their implied decimals, as the spec's integers). */
function fieldJson(v: DataView, bytes: Uint8Array, base: number, f: FieldDef): string {
  const off = base + f.offset;
  switch (f.kind) {
    case 'char':
      return JSON.stringify(String.fromCharCode(bytes[off]));
    case 'alpha':
      return JSON.stringify(readAlpha(bytes, off, f.length));
    case 'u16':
      return String(v.getUint16(off));
    case 'u32':
    case 'price4':
      return String(v.getUint32(off));
    case 'u48':
      return String(readU48(v, off));
    case 'u64':
    case 'price8':
      return u64Digits(v, off);
  }
}

function inRange(r: Range | null, n: number): boolean {
  return r === null || (n >= r.from && n <= r.to);
}

/**
 * Decodes the reader to the sink, one line per message (and per heartbeat and end-of-session
 * where no type filter is given). Closes the reader.
 */
export async function decodeFeed(reader: FeedReader, filter: DecodeFilter, json: boolean, sink: DecodeSink): Promise<DecodeSummary> {
  const started = process.hrtime.bigint();
  const stockLocates = new Set<number>();
  const stockBytes = filter.stock === null ? null : filter.stock.padEnd(8, ' ');
  let packets = 0;
  let messages = 0;
  let shown = 0;
  let malformed = 0;
  let lastGroupKey = -1;
  let groupName = '';
  const p = reader.packet;

  const matchesStock = (v: DataView, bytes: Uint8Array, m: number, code: number): boolean => {
    if (stockBytes === null) return true;
    const locate = v.getUint16(m + 1);
    const def = MESSAGE_BY_CODE[code];
    const f = def?.fields.find((x) => x.name === STOCK_FIELD);
    if (f) {
      let same = true;
      for (let i = 0; i < 8; i++) if (bytes[m + f.offset + i] !== stockBytes.charCodeAt(i)) same = false;
      if (same) {
        if (locate !== 0) stockLocates.add(locate); // the locate is the stock's for the day (spec 1.2.1)
        return true;
      }
      return false;
    }
    return locate !== 0 && stockLocates.has(locate);
  };

  try {
    for (;;) {
      if (sink.closed) break;
      const r = reader.nextSync();
      if (r === -1) {
        await reader.fill();
        continue;
      }
      if (r === 0) break;
      packets++;
      if (filter.packets && p.number > filter.packets.to) break; // numbers only grow
      const bytes = p.bytes;
      const v = p.view;
      const off = p.offset;
      const len = p.length;
      const count = v.getUint16(off + 18);
      const isControl = count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION;
      if (!isControl) messages += countMessages(v, off, len, count);
      if (!inRange(filter.packets, p.number)) continue;
      const session = moldSession(bytes, off);
      if (filter.session !== null && session !== filter.session) continue;
      const groupKey = p.dstAddr * 65536 + p.dstPort;
      if (groupKey !== lastGroupKey) {
        groupName = formatGroup(p.dstAddr, p.dstPort);
        lastGroupKey = groupKey;
      }
      const seqHigh = v.getUint32(off + 10);
      const seq0 = seqHigh < 0x200000 ? seqHigh * 0x1_0000_0000 + v.getUint32(off + 14) : v.getBigUint64(off + 10);
      const seqNumber = Number(seq0);
      if (isControl) {
        if (filter.types !== null || filter.stock !== null || filter.locate !== null) continue;
        if (!inRange(filter.seq, seqNumber)) continue;
        const kind = count === MOLD_COUNT_HEARTBEAT ? 'heartbeat' : 'end-of-session';
        shown++;
        const line = json
          ? `{"packet":${p.number},"wireTime":${JSON.stringify(wireTimeText(p.tsSec, p.tsNsec))},"wireTimeNs":${epochNsDigits(p.tsSec, p.tsNsec)},"group":${JSON.stringify(groupName)},"session":${JSON.stringify(session)},"sequence":${seq0},"type":${JSON.stringify(kind)}}`
          : `${p.number} ${timeOfDay(p.tsSec, p.tsNsec)} ${groupName} ${textValue(session)} ${seq0} ${kind} (next sequence)`;
        if (!sink.push(line)) await sink.drain();
        continue;
      }
      let q = off + MOLD_HEADER_LENGTH;
      const end = off + len;
      let head = '';
      for (let i = 0; i < count; i++) {
        if (q + 2 > end || q + 2 + v.getUint16(q) > end) {
          malformed++;
          if (!sink.push(json
            ? `{"packet":${p.number},"group":${JSON.stringify(groupName)},"session":${JSON.stringify(session)},"malformed":${JSON.stringify(`message ${i + 1} of ${count} runs past the end of the datagram at payload byte ${q - off}`)}}`
            : `${p.number} ${groupName} ${textValue(session)} malformed: message ${i + 1} of ${count} runs past the end of the datagram at payload byte ${q - off}; the rest of the packet is skipped`)) await sink.drain();
          break;
        }
        const mlen = v.getUint16(q);
        const m = q + 2;
        q = m + mlen;
        const seq = typeof seq0 === 'number' ? seq0 + i : seq0 + BigInt(i);
        if (filter.seq !== null && !inRange(filter.seq, seqNumber + i)) continue;
        const check = checkMessage(bytes, m, mlen);
        if (!check.ok) {
          malformed++;
          if (filter.types !== null || filter.stock !== null || filter.locate !== null) continue;
          shown++;
          if (!sink.push(json
            ? `{"packet":${p.number},"group":${JSON.stringify(groupName)},"session":${JSON.stringify(session)},"sequence":${seq},"malformed":${JSON.stringify(check.detail)}}`
            : `${p.number} ${groupName} ${textValue(session)} ${seq} malformed: ${check.detail}`)) await sink.drain();
          continue;
        }
        const code = bytes[m];
        if (filter.types !== null && !filter.types.has(code)) continue;
        if (filter.locate !== null && v.getUint16(m + 1) !== filter.locate) continue;
        if (!matchesStock(v, bytes, m, code)) continue;
        const def = check.def;
        shown++;
        let line: string;
        if (json) {
          if (head === '') head = `{"packet":${p.number},"wireTime":${JSON.stringify(wireTimeText(p.tsSec, p.tsNsec))},"wireTimeNs":${epochNsDigits(p.tsSec, p.tsNsec)},"group":${JSON.stringify(groupName)},"session":${JSON.stringify(session)}`;
          line = `${head},"sequence":${seq},"type":${JSON.stringify(def.type)},"name":${JSON.stringify(def.name)}`;
          for (const f of HEADER_FIELDS) line += `,"${f.name}":${fieldJson(v, bytes, m, f)}`;
          for (const f of def.fields) line += `,"${f.name}":${fieldJson(v, bytes, m, f)}`;
          line += '}';
        } else {
          if (head === '') head = `${p.number} ${timeOfDay(p.tsSec, p.tsNsec)} ${groupName} ${textValue(session)}`;
          line = `${head} ${seq} ${def.type} ${def.name}:`;
          for (const f of HEADER_FIELDS) line += ` ${f.name}=${fieldText(v, bytes, m, f)}`;
          for (const f of def.fields) line += ` ${f.name}=${fieldText(v, bytes, m, f)}`;
        }
        if (!sink.push(line)) await sink.drain();
      }
    }
  } finally {
    reader.close();
  }
  return { file: reader.path, format: reader.format, packets, messages, shown, malformed, seconds: Number(process.hrtime.bigint() - started) / 1e9 };
}

function countMessages(v: DataView, off: number, len: number, count: number): number {
  let q = off + MOLD_HEADER_LENGTH;
  const end = off + len;
  let n = 0;
  for (let i = 0; i < count; i++) {
    if (q + 2 > end || q + 2 + v.getUint16(q) > end) break;
    q += 2 + v.getUint16(q);
    n++;
  }
  return n;
}
