/**
 * ITCH 5.0 decode and encode, byte-exact, driven by the layout table.
 * `decodeMessage` builds an object (for tools, tests and the synthetic feed);
 * hot paths read single fields with the accessors in ./fields.ts instead.
 */
import { readAlpha, readU48, writeAlpha, writeU48 } from '../bytes.js';
import { HEADER_FIELDS, MESSAGE_BY_CODE, type FieldDef, type MessageDef } from './layout.js';

/** A decoded field: numbers for up to 48 bits, bigint for 64-bit fields, strings for alpha. */
export type FieldValue = number | bigint | string;

export interface ItchMessage {
  type: string;
  stockLocate: number;
  trackingNumber: number;
  /** Nanoseconds since midnight. */
  timestamp: number;
  [field: string]: FieldValue;
}

export type ItchCheck =
  | { ok: true; def: MessageDef }
  | { ok: false; reason: 'itch-unknown-type' | 'itch-short'; detail: string };

/** Validates type and length without decoding (messages longer than their layout are accepted). */
export function checkMessage(bytes: Uint8Array, off: number, length: number): ItchCheck {
  if (length < 1) return { ok: false, reason: 'itch-short', detail: 'empty message' };
  const code = bytes[off];
  const def = MESSAGE_BY_CODE[code];
  if (!def) {
    return { ok: false, reason: 'itch-unknown-type', detail: `unknown ITCH 5.0 message type 0x${code.toString(16).padStart(2, '0')}${printable(code)}` };
  }
  if (length < def.length) {
    return { ok: false, reason: 'itch-short', detail: `ITCH '${def.type}' (${def.name}) is ${length} bytes, the layout needs ${def.length}` };
  }
  return { ok: true, def };
}

function printable(code: number): string {
  return code >= 0x20 && code < 0x7f ? ` ('${String.fromCharCode(code)}')` : '';
}

function readField(v: DataView, bytes: Uint8Array, base: number, f: FieldDef): FieldValue {
  const off = base + f.offset;
  switch (f.kind) {
    case 'char':
      return String.fromCharCode(bytes[off]);
    case 'alpha':
      return readAlpha(bytes, off, f.length);
    case 'u16':
      return v.getUint16(off);
    case 'u32':
    case 'price4':
      return v.getUint32(off);
    case 'u48':
      return readU48(v, off);
    case 'u64':
    case 'price8':
      return v.getBigUint64(off);
  }
}

/** Decodes one message. Throws with the reason if the type is unknown or the bytes are too few. */
export function decodeMessage(bytes: Uint8Array, off = 0, length = bytes.length - off): ItchMessage {
  const check = checkMessage(bytes, off, length);
  if (!check.ok) throw new RangeError(check.detail);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const msg: ItchMessage = {
    type: check.def.type,
    stockLocate: v.getUint16(off + 1),
    trackingNumber: v.getUint16(off + 3),
    timestamp: readU48(v, off + 5),
  };
  for (const f of check.def.fields) msg[f.name] = readField(v, bytes, off, f);
  return msg;
}

function writeField(v: DataView, bytes: Uint8Array, base: number, f: FieldDef, value: FieldValue | undefined, type: string): void {
  const off = base + f.offset;
  const what = `ITCH '${type}' field ${f.name}`;
  if (value === undefined) throw new RangeError(`${what} is missing`);
  switch (f.kind) {
    case 'char':
    case 'alpha':
      if (typeof value !== 'string') throw new RangeError(`${what} must be a string`);
      writeAlpha(bytes, off, f.length, value, what);
      return;
    case 'u16':
    case 'u32':
    case 'price4':
    case 'u48': {
      const n = typeof value === 'bigint' ? Number(value) : value;
      const max = 2 ** (8 * f.length) - 1;
      if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > max) {
        throw new RangeError(`${what} must be an integer 0..${max}, got ${String(value)}`);
      }
      if (f.kind === 'u16') v.setUint16(off, n);
      else if (f.kind === 'u48') writeU48(v, off, n);
      else v.setUint32(off, n);
      return;
    }
    case 'u64':
    case 'price8': {
      const n = typeof value === 'bigint' ? value : typeof value === 'number' && Number.isSafeInteger(value) ? BigInt(value) : undefined;
      if (n === undefined || n < 0n || n > 0xffff_ffff_ffff_ffffn) throw new RangeError(`${what} must be an unsigned 64-bit integer, got ${String(value)}`);
      v.setBigUint64(off, n);
      return;
    }
  }
}

/** Encodes a message at `off`; returns its length. The buffer must have room for it. */
export function encodeMessage(msg: ItchMessage, bytes: Uint8Array, off = 0): number {
  const def = msg.type.length === 1 ? MESSAGE_BY_CODE[msg.type.charCodeAt(0)] : undefined;
  if (!def) throw new RangeError(`unknown ITCH 5.0 message type ${JSON.stringify(msg.type)}`);
  if (off + def.length > bytes.length) throw new RangeError(`no room for ITCH '${def.type}' (${def.length} bytes) at ${off}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  bytes[off] = def.type.charCodeAt(0);
  for (const f of HEADER_FIELDS) writeField(v, bytes, off, f, msg[f.name], def.type);
  for (const f of def.fields) writeField(v, bytes, off, f, msg[f.name], def.type);
  return def.length;
}

export function encodeToBuffer(msg: ItchMessage): Buffer {
  const def = MESSAGE_BY_CODE[msg.type.charCodeAt(0)];
  if (!def) throw new RangeError(`unknown ITCH 5.0 message type ${JSON.stringify(msg.type)}`);
  const out = Buffer.alloc(def.length);
  encodeMessage(msg, out, 0);
  return out;
}

/** Price(4) as the decimal text the spec implies: 873900 → "87.3900". */
export function formatPrice4(raw: number): string {
  const whole = Math.floor(raw / 10000);
  return `${whole}.${String(raw % 10000).padStart(4, '0')}`;
}

/** Price(8) as decimal text: 8 implied decimals. */
export function formatPrice8(raw: bigint): string {
  const whole = raw / 100_000_000n;
  return `${whole}.${(raw % 100_000_000n).toString().padStart(8, '0')}`;
}

/** Nanoseconds since midnight as HH:MM:SS.nnnnnnnnn. */
export function formatItchTime(ns: number): string {
  const totalSec = Math.floor(ns / 1e9);
  const frac = ns - totalSec * 1e9;
  const h = Math.floor(totalSec / 3600);
  const m = Math.floor((totalSec % 3600) / 60);
  const s = totalSec % 60;
  const p2 = (n: number) => String(n).padStart(2, '0');
  return `${p2(h)}:${p2(m)}:${p2(s)}.${String(frac).padStart(9, '0')}`;
}

/** A decoded message as JSON-safe data: bigints become decimal strings. */
export function messageToJson(msg: ItchMessage): Record<string, string | number> {
  const out: Record<string, string | number> = {};
  for (const [k, v] of Object.entries(msg)) out[k] = typeof v === 'bigint' ? v.toString() : v;
  return out;
}

/**
 * A packet's wire time: a capture's epoch time as ISO 8601 with nanoseconds, or (a packetized
 * ITCH file, whose times are times of day) HH:MM:SS.nnnnnnnnn.
 */
export function wireTimeText(sec: number, nsec: number): string {
  if (sec < 86400) return formatItchTime(sec * 1e9 + nsec);
  const iso = new Date(sec * 1000).toISOString();
  return `${iso.slice(0, 19)}.${String(nsec).padStart(9, '0')}Z`;
}
