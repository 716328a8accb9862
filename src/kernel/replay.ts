/**
 * `mdlab replay`: a recording sent as plain UDP multicast on loopback (TTL 0), paced as recorded
 * (× speed) or at top speed, optionally looped: for other tools (tshark, sockperf, a real feed
 * handler). No lab: the datagrams carry exactly the recorded payloads, as the lab's kernel path does.
 */
import type dgram from 'node:dgram';
import { formatGroup } from '../feed/channels.js';
import { openFeed } from '../feed/open-feed.js';
import { nowNs, spinUntil } from '../metrics/clock.js';
import { openMulticastSender } from './loopback.js';
import { HIGHEST_NS, newHistogram } from '../metrics/latency.js';

export interface ReplayOptions {
  /** Multiple of the recorded pace; 0 = top speed. */
  speed: number;
  /** How many times to play the recording (Infinity: until stopped). */
  loops: number;
  onProgress?: (packets: number) => void;
  shouldStop?: () => boolean;
}

/** Actual minus scheduled send time, over every paced packet (null at top speed: nothing is scheduled). */
export interface PacingError {
  packets: number;
  p50Ns: number;
  p99Ns: number;
  maxNs: number;
  /** The worst lag: by how much, at which packet of the recording (1-based, in its loop), and when in the replay. */
  worstLag: { ns: number; packet: number; loop: number; atMs: number };
}

export interface ReplaySummary {
  packets: number;
  bytes: number;
  loops: number;
  seconds: number;
  groups: string[];
  pacing: PacingError | null;
}

export async function replayRecording(path: string, o: ReplayOptions): Promise<ReplaySummary> {
  const senders = new Map<number, dgram.Socket>();
  const names: string[] = [];
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let packets = 0;
  let bytes = 0;
  let loops = 0;
  const start = nowNs();
  const errors = newHistogram(false);
  const worst = { ns: -1, packet: 0, loop: 0, atMs: 0 };
  let offset = 0; // recording time of the loop's start, so loops follow one another
  try {
    for (; loops < o.loops; loops++) {
      const r = await openFeed(path);
      let first = -1;
      let firstN = 0;
      let last = 0;
      let inLoop = 0;
      try {
        while (await r.next()) {
          inLoop++;
          if (o.shouldStop?.()) return finish();
          const p = r.packet;
          if (first < 0) {
            first = p.tsSec;
            firstN = p.tsNsec;
          }
          last = (p.tsSec - first) * 1e9 + (p.tsNsec - firstN);
          if (o.speed > 0) {
            const due = start + (offset + last) / o.speed;
            const wait = due - nowNs();
            if (wait > 2e6) await new Promise((res) => setTimeout(res, (wait - 1e6) / 1e6));
            else if (wait > 100e3) Atomics.wait(sleeper, 0, 0, (wait - 100e3) / 1e6);
            spinUntil(due);
            // Pacing from absolute times (start + offset / speed), never packet to packet: an error
            // here is this packet's own, it does not carry into the next one's schedule.
            const late = Math.max(0, nowNs() - due);
            errors.recordValue(Math.min(Math.max(1, Math.round(late)), HIGHEST_NS));
            if (late > worst.ns) Object.assign(worst, { ns: late, packet: inLoop, loop: loops + 1, atMs: (due - start) / 1e6 });
          }
          const key = p.dstAddr * 65536 + p.dstPort;
          let s = senders.get(key);
          if (!s) {
            s = await openMulticastSender(p.dstAddr, p.dstPort);
            senders.set(key, s);
            names.push(formatGroup(p.dstAddr, p.dstPort));
          }
          // A copy: the reader's buffer moves on before the kernel may have taken the bytes.
          s.send(Buffer.from(p.bytes.subarray(p.offset, p.offset + p.length)));
          packets++;
          bytes += p.length;
          if ((packets & 1023) === 0) {
            o.onProgress?.(packets);
            if (o.speed === 0) await new Promise((res) => setImmediate(res)); // let sends drain
          }
        }
      } finally {
        r.close();
      }
      offset += last + 1e6;
    }
    return finish();
  } finally {
    await new Promise((res) => setTimeout(res, 50));
    for (const s of senders.values()) s.close();
  }

  function finish(): ReplaySummary {
    const paced = errors.totalCount;
    return {
      packets, bytes, loops, seconds: (nowNs() - start) / 1e9,
      groups: names,
      pacing: paced === 0 ? null : {
        packets: paced, p50Ns: errors.getValueAtPercentile(50), p99Ns: errors.getValueAtPercentile(99), maxNs: Math.round(worst.ns),
        worstLag: { ns: Math.round(worst.ns), packet: worst.packet, loop: worst.loop, atMs: Math.round(worst.atMs * 1000) / 1000 },
      },
    };
  }
}
