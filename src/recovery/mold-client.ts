/**
 * What a feed handler does with a MoldUDP64 gap (DESIGN §13; nassau's MoldUDP64Client is a
 * public model): it passes messages on in sequence order only. On a gap it asks the re-request
 * server for the missing range and enters gap fill; messages past the gap are buffered (or, by
 * policy, dropped); it asks again after a timeout; a reply (or any packet) that fills the hole
 * passes on, the buffer drains behind it, and it is synchronized again. Duplicates are skipped.
 * Pure: packets and the time in, ordered messages and requests out through two callbacks.
 */
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, type MoldRequest } from '../feed/moldudp64.js';
import { readU64Number } from '../feed/bytes.js';

export type GapPolicy = 'buffer' | 'drop';

export interface ClientOptions {
  session: string;
  /** Ask again when a request has had no answer this long. */
  timeoutNs: number;
  /** Most messages one request asks for (a server caps its replies too). */
  maxRequest: number;
  policy: GapPolicy;
  /** Most messages held past a gap (buffer policy); beyond, they are dropped and counted. */
  maxBuffered: number;
}

export const DEFAULT_CLIENT: Omit<ClientOptions, 'session'> = { timeoutNs: 50e6, maxRequest: 1000, policy: 'buffer', maxBuffered: 1 << 20 };

export interface ClientCounters {
  gaps: number;
  requests: number;
  /** Messages that were missing when a gap was seen, and passed on later (from a reply or another line). */
  recovered: number;
  duplicates: number;
  /** Messages past a gap the policy (or a full buffer) dropped: they need asking for again. */
  droppedPastGap: number;
  /** Gap seen to sequence whole again, ns, one per gap closed. */
  recoveryNs: number[];
}

export type ClientState = 'synchronized' | 'gap-fill';

/** A message passed on: its bytes are valid during the call only. */
export type Deliver = (seq: number, bytes: Uint8Array, off: number, len: number) => void;

export class MoldClient {
  state: ClientState = 'synchronized';
  /** The next sequence to pass on (0: none seen yet). */
  expected = 0;
  readonly counters: ClientCounters = { gaps: 0, requests: 0, recovered: 0, duplicates: 0, droppedPastGap: 0, recoveryNs: [] };
  private readonly buffered = new Map<number, Uint8Array>();
  /** The hole being filled: from `expected` up to (not including) `holeEnd`; when it was seen; when to ask again. */
  private holeEnd = 0;
  /** The highest sequence seen past the next expected, in gap fill. */
  private lastKnown = 0;
  private gapAtNs = 0;
  private deadlineNs = Infinity;

  constructor(private readonly o: ClientOptions, private readonly deliver: Deliver, private readonly request: (r: MoldRequest) => void) {}

  get session(): string {
    return this.o.session;
  }

  /** One downstream packet (live, from another line, or a reply): `bytes[off, off+len)`. */
  onPacket(bytes: Uint8Array, v: DataView, off: number, len: number, nowNs: number): void {
    if (len < MOLD_HEADER_LENGTH) return;
    const seq = readU64Number(v, off + 10);
    const count = v.getUint16(off + 18);
    const control = count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION;
    if (this.expected === 0) this.expected = seq;
    if (control) {
      // A heartbeat or end of session carries the next sequence: a gap shows there too.
      if (seq > this.expected) this.gapTo(seq, nowNs);
      return;
    }
    let q = off + MOLD_HEADER_LENGTH;
    const end = off + len;
    for (let i = 0; i < count && q + 2 <= end; i++) {
      const mlen = v.getUint16(q);
      if (q + 2 + mlen > end) break;
      this.message(seq + i, bytes, q + 2, mlen, nowNs);
      q += 2 + mlen;
    }
    this.afterProgress(nowNs);
  }

  private message(s: number, bytes: Uint8Array, off: number, len: number, nowNs: number): void {
    if (s < this.expected || this.buffered.has(s)) {
      this.counters.duplicates++;
      return;
    }
    if (s === this.expected) {
      // In gap fill, the next expected message fills the hole: recovered (a reply, or the other line).
      if (this.state === 'gap-fill') this.counters.recovered++;
      this.pass(s, bytes, off, len);
      this.drain();
      return;
    }
    // Past the next expected: a gap opens (or widens), and this one waits or is dropped.
    this.gapTo(s, nowNs);
    if (this.o.policy === 'buffer' && this.buffered.size < this.o.maxBuffered) this.buffered.set(s, Uint8Array.from(bytes.subarray(off, off + len)));
    else this.counters.droppedPastGap++;
  }

  private pass(s: number, bytes: Uint8Array, off: number, len: number): void {
    this.deliver(s, bytes, off, len);
    this.expected = s + 1;
  }

  private drain(): void {
    for (let b = this.buffered.get(this.expected); b; b = this.buffered.get(this.expected)) {
      this.buffered.delete(this.expected);
      this.pass(this.expected, b, 0, b.length);
    }
  }

  /** Messages up to `s` (not including) are missing: ask for them unless already asked. */
  private gapTo(s: number, nowNs: number): void {
    if (this.state === 'synchronized') {
      this.state = 'gap-fill';
      this.counters.gaps++;
      this.gapAtNs = nowNs;
      this.holeEnd = s;
      this.ask(nowNs);
    }
    // A later hole (past what is buffered) is asked for when the first is filled.
    if (s > this.lastKnown) this.lastKnown = s;
  }

  private ask(nowNs: number): void {
    const count = Math.min(this.o.maxRequest, Math.max(1, this.holeEnd - this.expected));
    this.counters.requests++;
    this.request({ session: this.o.session, sequence: this.expected, count });
    this.deadlineNs = nowNs + this.o.timeoutNs;
  }

  private afterProgress(nowNs: number): void {
    if (this.state !== 'gap-fill' || this.expected < this.holeEnd) return;
    if (this.buffered.size > 0) {
      // The first hole is filled and a later one waits behind buffered messages: ask for it.
      this.holeEnd = this.nextBuffered();
      this.ask(nowNs);
    } else if (this.lastKnown >= this.expected) {
      // What was dropped past the gap is missing too: ask for it.
      this.holeEnd = this.lastKnown + 1;
      this.ask(nowNs);
    } else {
      this.state = 'synchronized';
      this.counters.recoveryNs.push(nowNs - this.gapAtNs);
      this.deadlineNs = Infinity;
      this.lastKnown = 0;
    }
  }

  private nextBuffered(): number {
    let min = Infinity;
    for (const k of this.buffered.keys()) if (k < min) min = k;
    return min;
  }

  /** Time passes: ask again for a hole whose request went unanswered. */
  onTimer(nowNs: number): void {
    if (this.state === 'gap-fill' && nowNs >= this.deadlineNs) this.ask(nowNs);
  }

  /** At the end: messages still missing (the holes, and what buffering could not hold). */
  get unrecovered(): number {
    if (this.state !== 'gap-fill') return 0;
    const last = Math.max(this.holeEnd - 1, this.lastKnown);
    return Math.max(0, last - this.expected + 1 - this.buffered.size);
  }

  get bufferedCount(): number {
    return this.buffered.size;
  }
}
