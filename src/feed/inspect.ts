/**
 * `mdlab inspect`: what a recording holds. Reads the whole file once, streaming; keeps going
 * past what it can skip (non-feed frames, malformed MoldUDP64 or ITCH) and counts it; stops
 * at what it cannot (a corrupt or truncated capture) and says where.
 */
import { MdlabError } from '../errors.js';
import { formatGroup } from './channels.js';
import { SKIP_DESCRIPTIONS } from './frame.js';
import { formatItchTime, wireTimeText } from './itch/codec.js';
import type { FeedReader } from './feed-reader.js';
import type { CaptureStats } from './pcap/frame-reader.js';
import type { GroupAssignment } from './feed-traffic.js';
import { LENGTH_BY_CODE, MESSAGE_BY_CODE } from './itch/layout.js';
import { MOLD_COUNT_END_OF_SESSION, MOLD_COUNT_HEARTBEAT, MOLD_HEADER_LENGTH, moldSession, sameSession } from './moldudp64.js';
import { readU64Number } from './bytes.js';
import { SlidingPeak } from './sliding-peak.js';

export interface SessionSummary {
  group: string;
  session: string;
  firstSequence: number;
  /** Sequence the next message would carry. */
  nextSequence: number;
  packets: number;
  messages: number;
  heartbeats: number;
  endOfSession: number;
  gaps: number;
  missingMessages: number;
  duplicatePackets: number;
  duplicateMessages: number;
  /** Messages that arrived after later ones (they filled part of a gap). */
  lateMessages: number;
  /** No end-of-session packet was seen: the recording may stop before the session did. */
  tailMayBeCut: boolean;
}

/** Where a session's sequence broke: a gap, a duplicate or an out-of-order (late) packet. */
export interface SequenceProblem {
  kind: 'gap' | 'duplicate' | 'out-of-order';
  group: string;
  session: string;
  /** The sequence range concerned, inclusive. */
  fromSequence: number;
  toSequence: number;
  messages: number;
  packet: number;
  wireTime: string;
}

/** At most this many sequence problems are listed; the rest are counted. */
export const MAX_SEQUENCE_PROBLEMS = 1000;
const MAX_HOLES = 4096;

export interface GroupSummary {
  group: string;
  packets: number;
  messages: number;
  bytes: number;
  sessions: string[];
}

export interface PeakRate {
  window: string;
  packets: number;
  packetsPerSecond: number;
  messages: number;
  messagesPerSecond: number;
  /** Offset from the first packet at which the window with most messages ended, in ms. */
  messagesPeakAtMs: number;
}

export interface Problem {
  count: number;
  description: string;
  /** Where the first one was: packet number and, for messages, the message index in it. */
  first: string;
}

export interface InspectSummary {
  file: string;
  format: string;
  header: Record<string, string | number>;
  packets: number;
  messages: number;
  payloadBytes: number;
  heartbeats: number;
  endOfSession: number;
  timeSpan: { first: string | null; last: string | null; durationMs: number };
  messagesByType: Record<string, { name: string; count: number }>;
  groups: GroupSummary[];
  sessions: SessionSummary[];
  peakRate: PeakRate[];
  skippedFrames: Record<string, Problem>;
  /** Every gap, duplicate and late packet, in file order (the first MAX_SEQUENCE_PROBLEMS). */
  sequenceProblems: SequenceProblem[];
  sequenceProblemsOmitted: number;
  /** Groups given to datagrams whose IP destination said nothing (anonymised captures), and why. */
  assignedGroups: GroupAssignment[];
  malformed: Record<string, Problem>;
  /**
   * The capturing host's own statistics, per interface (pcapng only): packets it dropped never
   * reached the file, so a gap they can explain may be the capture's, not the feed's.
   */
  captureStats: CaptureStats[];
  /** Set when reading stopped early: what went wrong and where. */
  error: string | null;
  complete: boolean;
}

interface SessionState extends SessionSummary {
  dst: number;
  port: number;
  sessionBytes: Uint8Array;
  started: boolean;
  /** Missing ranges [from, to) still open, so that a late packet is told from a duplicate. */
  holes: number[];
}

const WINDOWS: readonly [string, number][] = [['1ms', 1e6], ['100ms', 1e8], ['1s', 1e9]];


/**
 * Removes [from, to) from the open holes (pairs [a, b)); returns how many messages it filled.
 * A hole split in two keeps its halves.
 */
function fillHoles(holes: number[], from: number, to: number): number {
  let filled = 0;
  for (let i = 0; i < holes.length; i += 2) {
    const a = holes[i];
    const b = holes[i + 1];
    const lo = Math.max(a, from);
    const hi = Math.min(b, to);
    if (lo >= hi) continue;
    filled += hi - lo;
    if (lo === a && hi === b) {
      holes.splice(i, 2);
      i -= 2;
    } else if (lo === a) holes[i] = hi;
    else if (hi === b) holes[i + 1] = lo;
    else {
      holes[i + 1] = lo;
      holes.splice(i + 2, 0, hi, b);
      i += 2;
    }
  }
  return filled;
}

export type InspectProgress = (packets: number, bytesRead: number) => void;

export async function inspectFeed(reader: FeedReader, onProgress?: InspectProgress): Promise<InspectSummary> {
  const byType = new Float64Array(256);
  const sessions: SessionState[] = [];
  const groups = new Map<string, GroupSummary>();
  const peaks = WINDOWS.map(([, ns]) => new SlidingPeak(ns));
  const malformed: Record<string, Problem> = {};
  const problems: SequenceProblem[] = [];
  let problemsOmitted = 0;
  const problem = (kind: SequenceProblem['kind'], st: SessionState, from: number, count: number, packet: number, sec: number, nsec: number) => {
    if (problems.length >= MAX_SEQUENCE_PROBLEMS) {
      problemsOmitted++;
      return;
    }
    problems.push({ kind, group: st.group, session: st.session, fromSequence: from, toSequence: from + count - 1, messages: count, packet, wireTime: wireTimeText(sec, nsec) });
  };
  const note = (reason: string, description: string, where: string) => {
    const m = malformed[reason];
    if (m) m.count++;
    else malformed[reason] = { count: 1, description, first: where };
  };

  let packets = 0;
  let messages = 0;
  let payloadBytes = 0;
  let heartbeats = 0;
  let endOfSession = 0;
  let firstSec = -1;
  let firstNsec = 0;
  let lastSec = 0;
  let lastNsec = 0;
  let lastRel = 0;
  let error: string | null = null;
  let last: SessionState | undefined;
  let lastGroupKey = -1;
  let lastGroup: GroupSummary | undefined;

  const p = reader.packet;
  try {
    for (;;) {
      const r = reader.nextSync();
      if (r === -1) {
        await reader.fill();
        continue;
      }
      if (r === 0) break;
      packets++;
      if (onProgress && (packets & 0xffff) === 0) onProgress(packets, 0);
      const bytes = p.bytes;
      const v = p.view;
      const off = p.offset;
      const len = p.length;
      payloadBytes += len;
      if (firstSec < 0) {
        firstSec = p.tsSec;
        firstNsec = p.tsNsec;
      }
      lastSec = p.tsSec;
      lastNsec = p.tsNsec;
      let rel = (p.tsSec - firstSec) * 1e9 + (p.tsNsec - firstNsec);
      if (rel < lastRel) rel = lastRel; // out-of-order capture: do not let the windows run backwards
      lastRel = rel;

      // Group.
      const groupKey = p.dstAddr * 65536 + p.dstPort;
      if (groupKey !== lastGroupKey) {
        const name = formatGroup(p.dstAddr, p.dstPort);
        lastGroup = groups.get(name);
        if (!lastGroup) {
          lastGroup = { group: name, packets: 0, messages: 0, bytes: 0, sessions: [] };
          groups.set(name, lastGroup);
        }
        lastGroupKey = groupKey;
      }
      const g = lastGroup!;
      g.packets++;
      g.bytes += len;

      // Session (group + 10-byte session name).
      let s = last;
      if (!s || s.dst !== p.dstAddr || s.port !== p.dstPort || !sameSession(s.sessionBytes, 0, bytes, off)) {
        s = sessions.find((x) => x.dst === p.dstAddr && x.port === p.dstPort && sameSession(x.sessionBytes, 0, bytes, off));
        if (!s) {
          const name = moldSession(bytes, off);
          s = {
            group: g.group, session: name, dst: p.dstAddr, port: p.dstPort, sessionBytes: Uint8Array.from(bytes.subarray(off, off + 10)), // a copy: Buffer.slice is a view
            firstSequence: 0, nextSequence: 0, packets: 0, messages: 0, heartbeats: 0, endOfSession: 0,
            gaps: 0, missingMessages: 0, duplicatePackets: 0, duplicateMessages: 0, lateMessages: 0, tailMayBeCut: true, started: false, holes: [],
          };
          sessions.push(s);
          g.sessions.push(name);
        }
        last = s;
      }
      s.packets++;
      const seq = readU64Number(v, off + 10);
      const count = v.getUint16(off + 18);
      const isControl = count === MOLD_COUNT_HEARTBEAT || count === MOLD_COUNT_END_OF_SESSION;
      if (count === MOLD_COUNT_HEARTBEAT) {
        heartbeats++;
        s.heartbeats++;
      } else if (count === MOLD_COUNT_END_OF_SESSION) {
        endOfSession++;
        s.endOfSession++;
      }
      if (!s.started) {
        s.started = true;
        s.firstSequence = seq;
        s.nextSequence = seq;
      }
      const n = isControl ? 0 : count;
      if (seq > s.nextSequence) {
        s.gaps++;
        s.missingMessages += seq - s.nextSequence;
        problem('gap', s, s.nextSequence, seq - s.nextSequence, p.number, p.tsSec, p.tsNsec);
        if (s.holes.length < 2 * MAX_HOLES) s.holes.push(s.nextSequence, seq);
      } else if (seq < s.nextSequence && n > 0) {
        const before = Math.min(n, s.nextSequence - seq);
        const late = fillHoles(s.holes, seq, seq + before);
        const dup = before - late;
        if (late > 0) {
          s.lateMessages += late;
          s.missingMessages -= late;
          problem('out-of-order', s, seq, before, p.number, p.tsSec, p.tsNsec);
        }
        if (dup > 0) {
          s.duplicateMessages += dup;
          if (dup === n) s.duplicatePackets++;
          if (late === 0) problem('duplicate', s, seq, dup, p.number, p.tsSec, p.tsNsec);
        }
      }
      if (count === MOLD_COUNT_END_OF_SESSION) s.tailMayBeCut = false;
      if (seq + n > s.nextSequence) s.nextSequence = seq + n;

      // Messages.
      let inPacket = 0;
      if (!isControl) {
        let q = off + MOLD_HEADER_LENGTH;
        const end = off + len;
        for (let i = 0; i < count; i++) {
          if (q + 2 > end || q + 2 + v.getUint16(q) > end) {
            note('moldudp64-overrun', 'MoldUDP64 message count or a message length runs past the end of the datagram; the rest of the packet is skipped',
              `packet ${p.number}, message ${i + 1} of ${count}, payload byte ${q - off}`);
            break;
          }
          const mlen = v.getUint16(q);
          const m = q + 2;
          inPacket++;
          if (mlen === 0) {
            note('itch-short', 'ITCH message shorter than its type demands', `packet ${p.number}, message ${i + 1}: empty message`);
          } else {
            const code = bytes[m];
            const need = LENGTH_BY_CODE[code];
            if (need === 0) {
              note('itch-unknown-type', 'message type that ITCH 5.0 does not define', `packet ${p.number}, message ${i + 1}: type 0x${code.toString(16).padStart(2, '0')}`);
            } else if (mlen < need) {
              note('itch-short', 'ITCH message shorter than its type demands', `packet ${p.number}, message ${i + 1}: '${String.fromCharCode(code)}' is ${mlen} bytes, needs ${need}`);
            } else {
              byType[code]++;
            }
          }
          q = m + mlen;
        }
      }
      messages += inPacket;
      s.messages += inPacket;
      g.messages += inPacket;
      for (const pk of peaks) pk.add(rel, inPacket);
    }
  } catch (err) {
    if (!(err instanceof MdlabError)) throw err;
    error = err.message;
  } finally {
    reader.close();
  }

  const messagesByType: InspectSummary['messagesByType'] = {};
  for (let c = 0; c < 256; c++) {
    if (byType[c] > 0) messagesByType[String.fromCharCode(c)] = { name: MESSAGE_BY_CODE[c]!.name, count: byType[c] };
  }
  const skippedFrames: Record<string, Problem> = {};
  for (const [reason, s] of Object.entries(reader.skipped)) {
    if (s) skippedFrames[reason] = { count: s.count, description: SKIP_DESCRIPTIONS[reason as keyof typeof SKIP_DESCRIPTIONS], first: `packet ${s.firstPacket}` };
  }
  const durationNs = lastRel;
  return {
    file: reader.path,
    format: reader.format,
    header: reader.describe(),
    packets,
    messages,
    payloadBytes,
    heartbeats,
    endOfSession,
    timeSpan: {
      first: firstSec < 0 ? null : wireTimeText(firstSec, firstNsec),
      last: firstSec < 0 ? null : wireTimeText(lastSec, lastNsec),
      durationMs: durationNs / 1e6,
    },
    messagesByType,
    groups: [...groups.values()],
    sessions: sessions.map(({ dst: _d, port: _p, sessionBytes: _b, started: _s, holes: _h, ...rest }) => rest),
    peakRate: WINDOWS.map(([window, ns], i) => ({
      window,
      packets: peaks[i].peakPackets,
      packetsPerSecond: Math.round(peaks[i].peakPackets * (1e9 / ns)),
      messages: peaks[i].peakMessages,
      messagesPerSecond: Math.round(peaks[i].peakMessages * (1e9 / ns)),
      messagesPeakAtMs: peaks[i].peakMessagesAtNs / 1e6,
    })),
    skippedFrames,
    sequenceProblems: problems,
    sequenceProblemsOmitted: problemsOmitted,
    assignedGroups: [...reader.assignments],
    malformed,
    captureStats: reader.captureStats(),
    error,
    complete: error === null,
  };
}
