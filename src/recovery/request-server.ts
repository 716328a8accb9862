/**
 * A MoldUDP64 re-request server's decisions (DESIGN §13; nassau's MoldUDP64RequestServer is a
 * public model): a request names a session, the first sequence wanted and a count; the answer is
 * ordinary downstream packets holding those messages, sent to the requester. Like an exchange's
 * server it has limits: messages per reply, requests per second per client, a service delay. It
 * ignores, and counts by reason, requests it will not serve. Pure: bytes and the time in, packets
 * (and when to send them) out; the process at the edge does the I/O.
 */
import { MOLD_SESSION_LENGTH, MoldPacketBuilder, decodeRequest } from '../feed/moldudp64.js';
import type { MessageStore } from './message-store.js';

export interface ServerLimits {
  /** Most messages in one reply (its packets together). */
  maxMessages: number;
  /** Most payload bytes per reply packet (a datagram that fits an Ethernet frame: 1472). */
  maxPacketBytes: number;
  /** Requests a client may make per second (a token bucket that holds this many). */
  requestsPerSecond: number;
  /** How long the server takes to answer. */
  delayNs: number;
}

export const DEFAULT_LIMITS: ServerLimits = { maxMessages: 1000, maxPacketBytes: 1472, requestsPerSecond: 1000, delayNs: 0 };

export type Refusal = 'length' | 'unknown-session' | 'count-zero' | 'before-first' | 'past-end' | 'not-held' | 'rate-limited';

export const REFUSAL_DESCRIPTIONS: Readonly<Record<Refusal, string>> = {
  length: 'not a 20-byte MoldUDP64 request packet',
  'unknown-session': 'a session the server does not serve',
  'count-zero': 'a requested message count of 0',
  'before-first': 'a sequence number before the first the server holds (MoldUDP64 numbers from 1)',
  'past-end': 'a sequence number past the last message sent',
  'not-held': 'a message the recording itself does not have (a gap in it)',
  'rate-limited': 'more requests than the client may make per second',
};

export interface ServerCounters {
  requests: number;
  answered: number;
  messagesServed: number;
  packetsSent: number;
  refused: Record<Refusal, number>;
}

export type Reply = { packets: Uint8Array[]; sendAtNs: number; first: number; count: number } | { refused: Refusal };

export class RequestServerCore {
  readonly counters: ServerCounters = { requests: 0, answered: 0, messagesServed: 0, packetsSent: 0, refused: { length: 0, 'unknown-session': 0, 'count-zero': 0, 'before-first': 0, 'past-end': 0, 'not-held': 0, 'rate-limited': 0 } };
  private readonly buckets = new Map<string, { tokens: number; atNs: number }>();
  private readonly builder: MoldPacketBuilder;

  /**
   * `sentUpTo(session)`: the last sequence sent so far (a lab's NIC mid-run); by default every
   * message the store holds has been sent.
   */
  constructor(private readonly store: MessageStore, readonly limits: ServerLimits = DEFAULT_LIMITS, private readonly sentUpTo?: (session: string) => number) {
    this.builder = new MoldPacketBuilder(limits.maxPacketBytes);
  }

  private refuse(r: Refusal): Reply {
    this.counters.refused[r]++;
    return { refused: r };
  }

  private allow(client: string, nowNs: number): boolean {
    const rate = this.limits.requestsPerSecond;
    let b = this.buckets.get(client);
    if (!b) this.buckets.set(client, (b = { tokens: rate, atNs: nowNs }));
    b.tokens = Math.min(rate, b.tokens + ((nowNs - b.atNs) / 1e9) * rate);
    b.atNs = nowNs;
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  handle(bytes: Uint8Array, client: string, nowNs: number): Reply {
    this.counters.requests++;
    const req = decodeRequest(bytes);
    if (req === 'length') return this.refuse('length');
    if (!this.allow(client, nowNs)) return this.refuse('rate-limited');
    const s = this.store.session(req.session);
    if (!s) return this.refuse('unknown-session');
    if (req.count === 0) return this.refuse('count-zero');
    if (req.sequence < 1 || req.sequence < s.first) return this.refuse('before-first');
    const last = Math.min(s.first + s.count - 1, this.sentUpTo ? this.sentUpTo(req.session) : Infinity);
    if (req.sequence > last) return this.refuse('past-end');
    const want = Math.min(req.count, this.limits.maxMessages, last - req.sequence + 1);
    const packets: Uint8Array[] = [];
    const buf = this.store.buffer;
    const session = req.session.padEnd(MOLD_SESSION_LENGTH, ' ');
    let served = 0;
    let seq = req.sequence;
    this.builder.begin(session, seq);
    for (; served < want; served++, seq++) {
      const i = seq - s.first;
      const len = s.lengths[i];
      if (len < 0) break; // a hole in the recording: serve up to it
      if (!this.builder.fits(len)) {
        packets.push(Uint8Array.from(this.builder.bytes.subarray(0, this.builder.byteLength)));
        this.builder.begin(session, seq);
      }
      this.builder.append(buf, s.offsets[i], len);
    }
    if (served === 0) return this.refuse('not-held');
    if (this.builder.messageCount > 0) packets.push(Uint8Array.from(this.builder.bytes.subarray(0, this.builder.byteLength)));
    this.counters.answered++;
    this.counters.messagesServed += served;
    this.counters.packetsSent += packets.length;
    return { packets, sendAtNs: nowNs + this.limits.delayNs, first: req.sequence, count: served };
  }
}
