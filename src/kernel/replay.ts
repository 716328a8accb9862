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

export interface ReplayOptions {
  /** Multiple of the recorded pace; 0 = top speed. */
  speed: number;
  /** How many times to play the recording (Infinity: until stopped). */
  loops: number;
  onProgress?: (packets: number) => void;
  shouldStop?: () => boolean;
}

export interface ReplaySummary {
  packets: number;
  bytes: number;
  loops: number;
  seconds: number;
  groups: string[];
}

export async function replayRecording(path: string, o: ReplayOptions): Promise<ReplaySummary> {
  const senders = new Map<number, dgram.Socket>();
  const names: string[] = [];
  const sleeper = new Int32Array(new SharedArrayBuffer(4));
  let packets = 0;
  let bytes = 0;
  let loops = 0;
  const start = nowNs();
  let offset = 0; // recording time of the loop's start, so loops follow one another
  try {
    for (; loops < o.loops; loops++) {
      const r = await openFeed(path);
      let first = -1;
      let firstN = 0;
      let last = 0;
      try {
        while (await r.next()) {
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
    return {
      packets, bytes, loops, seconds: (nowNs() - start) / 1e9,
      groups: names,
    };
  }
}
