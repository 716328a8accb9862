/** Builds capture files byte by byte for reader tests: classic pcap in any variant, and pcapng. */
import { buildFrame } from '../../src/feed/pcap/writer.js';

export interface Datagram {
  src?: number;
  dst: number;
  srcPort?: number;
  dstPort: number;
  payload: Uint8Array;
}

/** Ethernet/IPv4/UDP frame, as mdlab writes it. */
export function ethernetFrame(d: Datagram, ipId = 1): Uint8Array {
  const frame = new Uint8Array(42 + d.payload.length);
  buildFrame(frame, new DataView(frame.buffer), 0, d.src ?? 0xc612000a, d.srcPort ?? 26400, d.dst, d.dstPort, ipId, d.payload, 0, d.payload.length);
  return frame;
}

/** The IPv4 packet inside an Ethernet frame. */
export function ipPacket(frame: Uint8Array): Uint8Array {
  return frame.subarray(14);
}

export function withVlan(frame: Uint8Array, vlan = 141): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out.set([0x81, 0x00, vlan >> 8, vlan & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

export function linuxCookedV1(ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(16 + ip.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0); // packet type: to us
  v.setUint16(2, 1); // ARPHRD_ETHER
  v.setUint16(4, 6);
  out.set([1, 0, 0x5e, 0, 0, 1], 6);
  v.setUint16(14, 0x0800);
  out.set(ip, 16);
  return out;
}

export function linuxCookedV2(ip: Uint8Array): Uint8Array {
  const out = new Uint8Array(20 + ip.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0x0800);
  v.setUint32(4, 1); // interface index
  v.setUint16(8, 1); // ARPHRD_ETHER
  out[10] = 0; // packet type
  out[11] = 6;
  out.set(ip, 20);
  return out;
}

export interface Record {
  sec: number;
  frac: number;
  data: Uint8Array;
  origLen?: number;
}

export function classicPcap(opts: { littleEndian: boolean; nanosecond: boolean; linktype: number; snaplen?: number }, records: Record[]): Buffer {
  const le = opts.littleEndian;
  const parts: Buffer[] = [];
  const h = Buffer.alloc(24);
  const hv = new DataView(h.buffer, h.byteOffset);
  hv.setUint32(0, opts.nanosecond ? 0xa1b23c4d : 0xa1b2c3d4, le);
  hv.setUint16(4, 2, le);
  hv.setUint16(6, 4, le);
  hv.setUint32(16, opts.snaplen ?? 262144, le);
  hv.setUint32(20, opts.linktype, le);
  parts.push(h);
  for (const r of records) {
    const rh = Buffer.alloc(16);
    const rv = new DataView(rh.buffer, rh.byteOffset);
    rv.setUint32(0, r.sec, le);
    rv.setUint32(4, r.frac, le);
    rv.setUint32(8, r.data.length, le);
    rv.setUint32(12, r.origLen ?? r.data.length, le);
    parts.push(rh, Buffer.from(r.data));
  }
  return Buffer.concat(parts);
}

function pad4(n: number): number {
  return (n + 3) & ~3;
}

function block(type: number, body: Buffer, le: boolean): Buffer {
  const total = 12 + pad4(body.length);
  const b = Buffer.alloc(total);
  const v = new DataView(b.buffer, b.byteOffset);
  v.setUint32(0, type, le);
  v.setUint32(4, total, le);
  body.copy(b, 8);
  v.setUint32(total - 4, total, le);
  return b;
}

export interface NgInterface {
  linktype: number;
  /** if_tsresol byte; omitted means the default (microseconds). */
  tsresol?: number;
  /** if_name. */
  name?: string;
}

/** An Interface Statistics Block's counters (u64 options isb_ifrecv 4, isb_ifdrop 5, isb_osdrop 7). */
export interface NgStats {
  iface: number;
  recv?: bigint;
  ifdrop?: bigint;
  osdrop?: bigint;
}

/** Options (code, value) padded to 32 bits, ended by opt_endofopt. */
function options(le: boolean, opts: [number, Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [code, value] of opts) {
    const head = Buffer.alloc(4);
    const v = new DataView(head.buffer, head.byteOffset);
    v.setUint16(0, code, le);
    v.setUint16(2, value.length, le);
    parts.push(head, value, Buffer.alloc(pad4(value.length) - value.length));
  }
  parts.push(Buffer.alloc(4));
  return Buffer.concat(parts);
}

function u64(le: boolean, n: bigint): Buffer {
  const b = Buffer.alloc(8);
  new DataView(b.buffer, b.byteOffset).setBigUint64(0, n, le);
  return b;
}

export interface NgPacket {
  iface: number;
  /** Timestamp in the interface's units, as a bigint. */
  ts: bigint;
  data: Uint8Array;
}

export function pcapng(le: boolean, interfaces: NgInterface[], packets: NgPacket[], extraBlocks = true, stats: NgStats[] = []): Buffer {
  const parts: Buffer[] = [];
  const shb = Buffer.alloc(16);
  const sv = new DataView(shb.buffer, shb.byteOffset);
  sv.setUint32(0, 0x1a2b3c4d, le);
  sv.setUint16(4, 1, le);
  sv.setUint16(6, 0, le);
  sv.setBigInt64(8, -1n, le);
  parts.push(block(0x0a0d0d0a, shb, le));
  for (const i of interfaces) {
    const head = Buffer.alloc(8);
    const v = new DataView(head.buffer, head.byteOffset);
    v.setUint16(0, i.linktype, le);
    v.setUint32(4, 262144, le);
    const opts: [number, Buffer][] = [];
    if (i.name !== undefined) opts.push([2, Buffer.from(i.name)]);
    if (i.tsresol !== undefined) opts.push([9, Buffer.from([i.tsresol])]);
    parts.push(block(1, Buffer.concat([head, options(le, opts)]), le));
  }
  if (extraBlocks) {
    // A name resolution block: not a packet, must be skipped.
    parts.push(block(4, Buffer.alloc(4), le));
  }
  for (const p of packets) {
    const body = Buffer.alloc(20 + pad4(p.data.length));
    const v = new DataView(body.buffer, body.byteOffset);
    v.setUint32(0, p.iface, le);
    v.setUint32(4, Number(p.ts >> 32n), le);
    v.setUint32(8, Number(p.ts & 0xffffffffn), le);
    v.setUint32(12, p.data.length, le);
    v.setUint32(16, p.data.length, le);
    Buffer.from(p.data).copy(body, 20);
    parts.push(block(6, body, le));
  }
  for (const st of stats) {
    const head = Buffer.alloc(12);
    new DataView(head.buffer, head.byteOffset).setUint32(0, st.iface, le);
    const opts: [number, Buffer][] = [];
    if (st.recv !== undefined) opts.push([4, u64(le, st.recv)]);
    if (st.ifdrop !== undefined) opts.push([5, u64(le, st.ifdrop)]);
    if (st.osdrop !== undefined) opts.push([7, u64(le, st.osdrop)]);
    parts.push(block(5, Buffer.concat([head, options(le, opts)]), le));
  }
  return Buffer.concat(parts);
}
