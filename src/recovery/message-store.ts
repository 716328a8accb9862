/**
 * What a re-request server can serve: every message of a recording, by MoldUDP64 session and
 * sequence number, in one buffer with offsets (two numbers per message, no object each).
 * Built from any recording mdlab reads, streamed; duplicates keep the first copy.
 */
import { openFeed, type FeedOptions } from '../feed/open-feed.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, moldSession } from '../feed/moldudp64.js';
import { readU64Number } from '../feed/bytes.js';

export interface SessionMessages {
  session: string;
  /** Sequence of the first message held, and how many are held from it (gaps in the recording are holes). */
  first: number;
  count: number;
  /** Offset (in `bytes`) and length of message `first + i`; length -1 where the recording has none. */
  offsets: Int32Array;
  lengths: Int32Array;
  /**
   * When message `first + i` was on the wire, ns from the recording's first packet, kept
   * non-decreasing (a running maximum) so that "sent by time T" is a binary search.
   */
  times: Float64Array;
}

export class MessageStore {
  private readonly sessions = new Map<string, SessionMessages>();
  private bytes = Buffer.alloc(1 << 20);
  private used = 0;

  /** The store's copy of the messages' bytes. */
  get buffer(): Buffer {
    return this.bytes;
  }

  session(name: string): SessionMessages | undefined {
    return this.sessions.get(name);
  }

  get sessionNames(): string[] {
    return [...this.sessions.keys()];
  }

  private put(session: string, seq: number, src: Uint8Array, off: number, len: number, atNs: number): void {
    let s = this.sessions.get(session);
    if (!s) this.sessions.set(session, (s = { session, first: seq, count: 0, offsets: new Int32Array(1024).fill(-1), lengths: new Int32Array(1024).fill(-1), times: new Float64Array(1024) }));
    if (seq < s.first) return; // before the first held: a late duplicate of nothing we serve
    const i = seq - s.first;
    if (i >= s.offsets.length) {
      let cap = s.offsets.length;
      while (cap <= i) cap *= 2;
      const o = new Int32Array(cap).fill(-1);
      o.set(s.offsets);
      const l = new Int32Array(cap).fill(-1);
      l.set(s.lengths);
      const t = new Float64Array(cap);
      t.set(s.times);
      s.offsets = o;
      s.lengths = l;
      s.times = t;
    }
    if (s.lengths[i] >= 0) return; // a duplicate: the first copy is served
    if (this.used + len > this.bytes.length) {
      const next = Buffer.alloc(Math.max(this.bytes.length * 2, this.used + len));
      this.bytes.copy(next, 0, 0, this.used);
      this.bytes = next;
    }
    this.bytes.set(src.subarray(off, off + len), this.used);
    s.offsets[i] = this.used;
    s.lengths[i] = len;
    s.times[i] = atNs;
    this.used += len;
    if (i + 1 > s.count) s.count = i + 1;
  }

  /**
   * The last sequence of `session` on the wire by `positionNs` of the recording (ns from its first
   * packet): what a lab's NIC has sent so far. Infinity for a session it does not hold.
   */
  lastSentBy(session: string, positionNs: number): number {
    const s = this.sessions.get(session);
    if (!s) return Infinity;
    // The times are a running maximum over the held messages: the last one at or before the position.
    let lo = 0;
    let hi = s.count - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (s.times[mid] <= positionNs) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return s.first + found;
  }

  /** Holes and a packetizer's small steps back: make each session's times a running maximum. */
  private monotone(): void {
    for (const s of this.sessions.values()) {
      let m = 0;
      for (let i = 0; i < s.count; i++) {
        if (s.times[i] > m) m = s.times[i];
        else s.times[i] = m;
      }
    }
  }

  /** Every message of the recording (groups are not kept: sessions name the channels). */
  static async load(recording: string, options: FeedOptions = {}): Promise<MessageStore> {
    const store = new MessageStore();
    const r = await openFeed(recording, options);
    let firstSec = -1;
    let firstNsec = 0;
    try {
      while (await r.next()) {
        const p = r.packet;
        if (firstSec < 0) {
          firstSec = p.tsSec;
          firstNsec = p.tsNsec;
        }
        const atNs = (p.tsSec - firstSec) * 1e9 + (p.tsNsec - firstNsec);
        const v = p.view;
        const count = v.getUint16(p.offset + 18);
        if (count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION) continue;
        const session = moldSession(p.bytes, p.offset);
        const seq = readU64Number(v, p.offset + 10);
        let q = p.offset + MOLD_HEADER_LENGTH;
        const end = p.offset + p.length;
        for (let i = 0; i < count && q + 2 <= end; i++) {
          const len = v.getUint16(q);
          if (q + 2 + len > end) break;
          store.put(session, seq + i, p.bytes, q + 2, len, atNs);
          q += 2 + len;
        }
      }
    } finally {
      r.close();
    }
    store.monotone();
    return store;
  }
}
