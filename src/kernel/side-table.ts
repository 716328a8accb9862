/**
 * The kernel path's side table (DESIGN §11): kernel-path datagrams are exactly the recording's
 * UDP payloads, so the facts a ring slot carries (scheduled and actual send times, the
 * memberships a copy is for) travel beside them, in shared memory, keyed by what the packet
 * itself says: its MoldUDP64 session, sequence number and message count (a heartbeat and the
 * data packet after it share a sequence: the count tells them apart).
 *
 * One ring of entries per group, written by the NIC before it sends the datagram, in send
 * order; each reader keeps its own cursor and takes the first entry past it whose key matches.
 * Entries it passes over that name its membership are datagrams the kernel dropped at its
 * socket (oflow-drop, proven); a datagram that matches nothing is not the lab's (foreign).
 *
 *   header  0 magic 'MDSK'  4 version  8 groups  12 entries per group (a power of two)
 *          64 + 4·g: per-group producer stamp (i32, stored after the entry is whole)
 *         512 + 4·g: per-group sent stamp (i32, stored once the send has returned: the datagram is
 *                    in the joined sockets' queues). A spinning Onload socket reads it as Onload's
 *                    recv reads OO_OS_STATUS_RX in the socket's shared state, set by the kernel
 *                    module when the OS socket becomes readable (udp_recv.c, ci_udp_recvmsg_try_os):
 *                    a system call on the kernel socket only when there is something to read.
 *   entry   0 stamp (i32: the group's send count, 1 on; written last)  4 session hash (i32)
 *           8 sequence (f64)  16 message count (i32)  24 scheduled ns (f64)  32 sent ns (f64)
 *          40 member bitmap (8 × i32)
 */
import { BITMAP_WORDS } from '../onload/stack-layout.js';
import { checkHeader, createSegment, fourcc, openSegment } from '../shm/segment.js';

const MAGIC = fourcc('MDSK');
const VERSION = 2;
const HEADER = 1024;
const SENT_WORD = 512 >> 2;
export const ENTRY_BYTES = 72;
const E_STAMP = 0;
const E_SESSION = 4;
const E_SEQ = 8;
const E_COUNT = 16;
const E_SCHEDULED = 24;
const E_SENT = 32;
const E_BITMAP = 40;

/** FNV-1a of the 10-byte session (or, for a payload too short to be MoldUDP64, of all of it). */
function sessionHash(bytes: Uint8Array, off: number, len: number): number {
  let h = 0x811c9dc5;
  const n = len >= 20 ? 10 : len;
  for (let i = 0; i < n; i++) h = Math.imul(h ^ bytes[off + i], 0x01000193);
  return h | 0;
}

/** The key of a payload: its session hash, sequence and message count (a short one: its length, flagged). */
class Key {
  session = 0;
  seq = 0;
  count = 0;
  of(bytes: Uint8Array, view: DataView, off: number, len: number): this {
    this.session = sessionHash(bytes, off, len);
    if (len >= 20) {
      this.seq = view.getUint32(off + 10) * 4294967296 + view.getUint32(off + 14);
      this.count = view.getUint16(off + 18);
    } else {
      this.seq = 0;
      this.count = 0x10000 | len;
    }
    return this;
  }
}

/** How many entries a group's ring needs so that no socket can hold more datagrams than it remembers. */
export function entriesFor(maxRcvbufBytes: number): number {
  // The kernel doubles SO_RCVBUF and charges each datagram its buffer's true size (at least a
  // few hundred bytes on loopback): 512 bytes a datagram is a safe floor.
  const want = Math.ceil((2 * maxRcvbufBytes) / 512) * 2;
  let n = 4096;
  while (n < want && n < 1 << 18) n <<= 1;
  return n;
}

class SideTable {
  protected readonly i32: Int32Array;
  protected readonly f64: Float64Array;
  readonly groups: number;
  readonly entries: number;
  protected readonly mask: number;

  protected constructor(buffer: ArrayBuffer) {
    this.i32 = new Int32Array(buffer);
    this.f64 = new Float64Array(buffer);
    this.groups = this.i32[2];
    this.entries = this.i32[3];
    this.mask = this.entries - 1;
  }

  protected base(g: number, stamp: number): number {
    return HEADER + (g * this.entries + ((stamp - 1) & this.mask)) * ENTRY_BYTES;
  }

  producer(g: number): number {
    return Atomics.load(this.i32, (64 >> 2) + g);
  }

  /** The stamp of the group's last datagram whose send has returned. */
  sent(g: number): number {
    return Atomics.load(this.i32, SENT_WORD + g);
  }
}

/** The NIC's side: one entry per kernel send, before the send. */
export class SideTableWriter extends SideTable {
  private readonly key = new Key();

  static create(name: string, groups: number, entries: number): void {
    const buf = createSegment(name, HEADER + groups * entries * ENTRY_BYTES);
    const i32 = new Int32Array(buf);
    i32[1] = VERSION;
    i32[2] = groups;
    i32[3] = entries;
    Atomics.store(i32, 0, MAGIC);
  }

  static attach(name: string): SideTableWriter {
    const buf = openSegment(name);
    checkHeader(new Int32Array(buf), MAGIC, VERSION, `side table ${name}`);
    return new SideTableWriter(buf);
  }

  /** Records the send of `bytes` on group `g`: times and the memberships it is for. No allocation. */
  write(g: number, bytes: Uint8Array, view: DataView, off: number, len: number, scheduledNs: number, sentNs: number, bitmap: Int32Array): void {
    const stamp = this.producer(g) + 1;
    const b = this.base(g, stamp);
    const i32 = this.i32;
    const f64 = this.f64;
    const k = this.key.of(bytes, view, off, len);
    Atomics.store(i32, (b + E_STAMP) >> 2, 0); // being rewritten
    i32[(b + E_SESSION) >> 2] = k.session;
    f64[(b + E_SEQ) >> 3] = k.seq;
    i32[(b + E_COUNT) >> 2] = k.count;
    f64[(b + E_SCHEDULED) >> 3] = scheduledNs;
    f64[(b + E_SENT) >> 3] = sentNs;
    for (let w = 0; w < BITMAP_WORDS; w++) i32[((b + E_BITMAP) >> 2) + w] = bitmap[w];
    Atomics.store(i32, (b + E_STAMP) >> 2, stamp);
    Atomics.store(i32, (64 >> 2) + g, stamp);
  }

  /** The send of the group's last written entry has returned: its datagram is queued at every joined socket. */
  sentDone(g: number): void {
    Atomics.store(this.i32, SENT_WORD + g, this.producer(g));
  }
}

/** What a reader found for a datagram. */
export const FOUND = 0;
/** The datagram is for other sockets of the group (its bitmap does not name this membership). */
export const NOT_MINE = 1;
/** Nothing the NIC sent matches it: not the lab's. */
export const FOREIGN = 2;

/** A socket's side: finds each datagram's entry, and counts the entries for it that never arrived. */
export class SideTableReader extends SideTable {
  private readonly key = new Key();
  private cursor = 0;
  private readonly word: number;
  private readonly bit: number;
  /** Entries for this membership passed over: datagrams the kernel dropped at this socket. */
  dropped = 0;
  /** Entries overwritten before this reader reached them (it fell a whole ring behind). */
  lapped = 0;
  scheduledNs = 0;
  sentNs = 0;
  /** The group's sent stamp when this socket last looked (see readable). */
  private seenSent = 0;

  constructor(name: string, private readonly group: number, membership: number) {
    const buf = openSegment(name);
    checkHeader(new Int32Array(buf), MAGIC, VERSION, `side table ${name}`);
    super(buf);
    this.word = membership >> 5;
    this.bit = 1 << (membership & 31);
    // Datagrams sent before this socket joined are not its own: start from now.
    this.cursor = this.producer(group);
    this.seenSent = this.sent(group);
  }

  /**
   * Whether the group has sent a datagram since the last call that said so: the kernel socket
   * may have something to read. A plain read of shared memory, cheap enough for every spin.
   */
  readable(): boolean {
    const s = this.sent(this.group);
    if (s === this.seenSent) return false;
    this.seenSent = s;
    return true;
  }

  /** Looks up a datagram; on FOUND, scheduledNs and sentNs hold its times. No allocation. */
  lookup(bytes: Uint8Array, view: DataView, off: number, len: number): number {
    const k = this.key.of(bytes, view, off, len);
    const g = this.group;
    const head = this.producer(g);
    let from = this.cursor + 1;
    if (head - from >= this.entries) {
      this.lapped += head - from + 1 - this.entries;
      from = head - this.entries + 1;
    }
    const i32 = this.i32;
    const f64 = this.f64;
    for (let s = from; s <= head; s++) {
      const b = this.base(g, s);
      if (Atomics.load(i32, (b + E_STAMP) >> 2) !== s) continue; // being rewritten: a lap
      if (i32[(b + E_SESSION) >> 2] !== k.session || f64[(b + E_SEQ) >> 3] !== k.seq || i32[(b + E_COUNT) >> 2] !== k.count) continue;
      // Found: the entries passed over that were for this socket never arrived.
      for (let t = from; t < s; t++) {
        const bt = this.base(g, t);
        if ((i32[((bt + E_BITMAP) >> 2) + this.word] & this.bit) !== 0) this.dropped++;
      }
      this.cursor = s;
      if ((i32[((b + E_BITMAP) >> 2) + this.word] & this.bit) === 0) return NOT_MINE;
      this.scheduledNs = f64[(b + E_SCHEDULED) >> 3];
      this.sentNs = f64[(b + E_SENT) >> 3];
      return FOUND;
    }
    return FOREIGN;
  }

  /** At the end: entries for this socket after the last datagram it read, which never came. */
  tail(): number {
    const head = this.producer(this.group);
    let n = 0;
    for (let s = Math.max(this.cursor + 1, head - this.entries + 1); s <= head; s++) {
      const b = this.base(this.group, s);
      if ((this.i32[((b + E_BITMAP) >> 2) + this.word] & this.bit) !== 0) n++;
    }
    return n;
  }
}
