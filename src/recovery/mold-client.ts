/**
 * What a feed handler does with a MoldUDP64 gap (DESIGN §13; nassau's MoldUDP64Client is a
 * public model): it passes messages on in sequence order only. On a gap it asks the re-request
 * server for the missing range and enters gap fill; messages past the gap are buffered (or, by
 * policy, dropped); it asks again after a timeout; a reply (or any packet) that fills the hole
 * passes on, the buffer drains behind it, and it is synchronized again. Duplicates are skipped.
 * With A/B lines (DESIGN §13) one client reads both: the first copy of a sequence number wins,
 * the other line's copy is a duplicate (its lateness is the arbitration delay), and a gap on one
 * line waits `lineWaitNs` for the other to fill it before anything is asked of the server. With
 * no server to ask, a hole both lines missed is skipped after that wait and counted lost.
 * Pure: packets and the time in, ordered messages and requests out through two callbacks.
 */
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, type MoldRequest } from '../feed/moldudp64.js';
import { readU64Number } from '../feed/bytes.js';
import { LogHistogram } from '../metrics/log-buckets.js';

/** Where a packet came from: line A, line B (the same channel's second feed), or a reply. */
export const FROM_LINE_A = 0;
export const FROM_LINE_B = 1;
export const FROM_SERVER = 2;
export type Source = 0 | 1 | 2;

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
  /** Lines read: 2 arbitrates A against B. */
  lines: 1 | 2;
  /** With two lines, how long a gap waits for the other line before a request (or, with no server, before it is skipped). */
  lineWaitNs: number;
  /** A re-request server to ask (false: lines only; a hole both lines missed is skipped). */
  canRequest: boolean;
}

export const DEFAULT_LINE_WAIT_NS = 10e6;
export const DEFAULT_CLIENT: Omit<ClientOptions, 'session'> = { timeoutNs: 50e6, maxRequest: 1000, policy: 'buffer', maxBuffered: 1 << 20, lines: 1, lineWaitNs: DEFAULT_LINE_WAIT_NS, canRequest: true };

export interface ClientCounters {
  gaps: number;
  requests: number;
  /** Messages that were missing when a gap was seen, and passed on later (from a reply or another line). */
  recovered: number;
  duplicates: number;
  /** Messages past a gap the policy (or a full buffer) dropped: they need asking for again. */
  droppedPastGap: number;
  /** Gap seen to sequence whole again, ns, one per gap closed (the first RECOVERY_TIMES_KEPT; the rest in the summary only). */
  recoveryNs: number[];
  /** Messages passed on first from line A, from line B, and from the server's replies. */
  fromA: number;
  fromB: number;
  fromServer: number;
  /** Gaps closed with no request sent: the other line filled them. */
  filledByLine: number;
  /** Messages neither line delivered that a skip gave up on (no server to ask). */
  skipped: number;
}

/** Recovery times kept one by one (for the .hlog's recovery histogram); the summary counts them all. */
export const RECOVERY_TIMES_KEPT = 100_000;
/** First-copy times remembered per sequence (mod this), to time the other line's copy. */
const ARRIVALS = 8192;

export type ClientState = 'synchronized' | 'gap-fill';

/** A message passed on: its bytes are valid during the call only. */
export type Deliver = (seq: number, bytes: Uint8Array, view: DataView, off: number, len: number) => void;

export class MoldClient {
  state: ClientState = 'synchronized';
  /** The next sequence to pass on (0: none seen yet). */
  expected = 0;
  readonly counters: ClientCounters = { gaps: 0, requests: 0, recovered: 0, duplicates: 0, droppedPastGap: 0, recoveryNs: [], fromA: 0, fromB: 0, fromServer: 0, filledByLine: 0, skipped: 0 };
  /** Every gap's recovery time (all of them, unlike the list). */
  readonly recoveryTimes = new LogHistogram();
  /** How much later the second line's copy came than the first, per message both lines delivered. */
  readonly arbitrationDelay = new LogHistogram();
  private readonly buffered = new Map<number, { bytes: Uint8Array; view: DataView; source: Source }>();
  private readonly firstAt = new Float64Array(ARRIVALS);
  private readonly firstSeq = new Float64Array(ARRIVALS).fill(-1);
  private readonly firstSource = new Uint8Array(ARRIVALS);
  private stampNs = 0;
  /** Requests sent, and messages skipped, since the gap opened (none of either: the other line filled it). */
  private requestsThisGap = 0;
  private skippedAtGap = 0;
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

  /**
   * One downstream packet (live on line A or B, or a reply): `bytes[off, off+len)`. `stampNs` is
   * when it reached the host (the NIC's timestamp, as a hardware RX stamp): the arbitration delay
   * is measured by it, so that a reader's batching does not hide how late the other line was.
   */
  onPacket(bytes: Uint8Array, v: DataView, off: number, len: number, nowNs: number, source: Source = FROM_LINE_A, stampNs = nowNs): void {
    this.stampNs = stampNs;
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
      this.message(seq + i, bytes, v, q + 2, mlen, nowNs, source);
      q += 2 + mlen;
    }
    this.afterProgress(nowNs);
  }

  private message(s: number, bytes: Uint8Array, v: DataView, off: number, len: number, nowNs: number, source: Source): void {
    if (s < this.expected || this.buffered.has(s)) {
      this.counters.duplicates++;
      this.secondCopy(s, this.stampNs, source);
      return;
    }
    if (s === this.expected) {
      // In gap fill, the next expected message fills the hole: recovered (a reply, or the other line).
      if (this.state === 'gap-fill') this.counters.recovered++;
      this.firstCopy(s, this.stampNs, source);
      this.pass(s, bytes, v, off, len, source);
      this.drain();
      return;
    }
    // Past the next expected: a gap opens (or widens), and this one waits or is dropped.
    this.gapTo(s, nowNs);
    if (this.o.policy === 'buffer' && this.buffered.size < this.o.maxBuffered) {
      this.firstCopy(s, this.stampNs, source);
      const copy = Uint8Array.from(bytes.subarray(off, off + len));
      this.buffered.set(s, { bytes: copy, view: new DataView(copy.buffer), source });
    } else this.counters.droppedPastGap++;
  }

  /** Remembers when a message's first copy came, and from where, to time the other line's. */
  private firstCopy(s: number, nowNs: number, source: Source): void {
    if (this.o.lines !== 2 || source === FROM_SERVER) return;
    const k = s % ARRIVALS;
    this.firstAt[k] = nowNs;
    this.firstSeq[k] = s;
    this.firstSource[k] = source;
  }

  private secondCopy(s: number, nowNs: number, source: Source): void {
    if (this.o.lines !== 2 || source === FROM_SERVER) return;
    const k = s % ARRIVALS;
    if (this.firstSeq[k] !== s || this.firstSource[k] === source) return;
    this.arbitrationDelay.record(nowNs - this.firstAt[k]);
    this.firstSeq[k] = -1;
  }

  private pass(s: number, bytes: Uint8Array, v: DataView, off: number, len: number, source: Source): void {
    this.deliver(s, bytes, v, off, len);
    this.expected = s + 1;
    if (source === FROM_LINE_A) this.counters.fromA++;
    else if (source === FROM_LINE_B) this.counters.fromB++;
    else this.counters.fromServer++;
  }

  private drain(): void {
    for (let b = this.buffered.get(this.expected); b; b = this.buffered.get(this.expected)) {
      this.buffered.delete(this.expected);
      this.pass(this.expected, b.bytes, b.view, 0, b.bytes.length, b.source);
    }
  }

  /** Messages up to `s` (not including) are missing: ask for them unless already asked. */
  private gapTo(s: number, nowNs: number): void {
    if (this.state === 'synchronized') {
      this.state = 'gap-fill';
      this.counters.gaps++;
      this.gapAtNs = nowNs;
      this.holeEnd = s;
      this.requestsThisGap = 0;
      this.skippedAtGap = this.counters.skipped;
      this.holeOpened(nowNs);
    }
    // A later hole (past what is buffered) is asked for when the first is filled.
    if (s > this.lastKnown) this.lastKnown = s;
  }

  /** With two lines the other may still bring a hole: wait for it before asking. */
  private holeOpened(nowNs: number): void {
    if (this.o.lines === 2) this.deadlineNs = nowNs + this.o.lineWaitNs;
    else this.ask(nowNs);
  }

  private ask(nowNs: number): void {
    if (!this.o.canRequest) return this.skip(nowNs);
    const count = Math.min(this.o.maxRequest, Math.max(1, this.holeEnd - this.expected));
    this.counters.requests++;
    this.requestsThisGap++;
    this.request({ session: this.o.session, sequence: this.expected, count });
    this.deadlineNs = nowNs + this.o.timeoutNs;
  }

  private afterProgress(nowNs: number): void {
    if (this.state !== 'gap-fill' || this.expected < this.holeEnd) return;
    if (this.buffered.size > 0) {
      // The first hole is filled and a later one waits behind buffered messages: ask for it.
      this.holeEnd = this.nextBuffered();
      this.holeOpened(nowNs);
    } else if (this.lastKnown >= this.expected) {
      // What was dropped past the gap is missing too: ask for it.
      this.holeEnd = this.lastKnown + 1;
      this.holeOpened(nowNs);
    } else {
      this.state = 'synchronized';
      const took = nowNs - this.gapAtNs;
      if (this.counters.recoveryNs.length < RECOVERY_TIMES_KEPT) this.counters.recoveryNs.push(took);
      this.recoveryTimes.record(took);
      if (this.o.lines === 2 && this.requestsThisGap === 0 && this.counters.skipped === this.skippedAtGap) this.counters.filledByLine++;
      this.deadlineNs = Infinity;
      this.lastKnown = 0;
    }
  }

  /** No server to ask: give up on the hole (both lines missed it), count it lost, and go on past it. */
  private skip(nowNs: number): void {
    const to = Math.max(this.holeEnd, this.expected);
    this.counters.skipped += to - this.expected;
    this.expected = to;
    this.drain();
    this.afterProgress(nowNs);
  }

  private nextBuffered(): number {
    let min = Infinity;
    for (const k of this.buffered.keys()) if (k < min) min = k;
    return min;
  }

  /** Time passes: ask (again) for a hole the other line did not fill, or whose request went unanswered. */
  onTimer(nowNs: number): void {
    if (this.state === 'gap-fill' && nowNs >= this.deadlineNs) this.ask(nowNs);
  }

  /** Messages neither line delivered (two lines): what the server supplied, what was skipped, and what is still missing. */
  get lostOnBoth(): number {
    return this.counters.fromServer + this.counters.skipped + this.unrecovered;
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
