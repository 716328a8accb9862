/**
 * One channel's sequence in a feed handler: the MoldUDP64 client its memberships share. Loss
 * recovery alone gives each membership one; A/B lines give the two memberships of a channel
 * (line A and line B) the same one, so that the first copy wins and a gap on one line is filled
 * from the other. The client is made at the first packet, which names the session.
 */
import { moldSession, type MoldRequest } from '../feed/moldudp64.js';
import { DEFAULT_CLIENT, FROM_LINE_A, MoldClient, type Deliver, type GapPolicy, type Source } from './mold-client.js';
import type { RecoveryReport } from '../subscriber/protocol.js';

export interface SequencerOptions {
  /** Ask the re-request server; null: no server (lines only). */
  request: ((r: MoldRequest) => void) | null;
  timeoutNs: number;
  policy: GapPolicy;
  /** Two lines of the channel, A and B, and how long a gap waits for the other; null: one line. */
  lines: { waitNs: number; b: string } | null;
}

/** Recovery times, exact from the kept list while it holds them all, else from the log buckets. */
function recoveryTimes(c: MoldClient): { count: number; p50: number; p99: number; max: number } {
  const list = c.counters.recoveryNs;
  if (list.length < c.recoveryTimes.count) return c.recoveryTimes.summary();
  const t = [...list].sort((a, b) => a - b);
  const at = (p: number) => (t.length === 0 ? 0 : t[Math.min(t.length - 1, Math.ceil((p / 100) * t.length) - 1)]);
  return { count: t.length, p50: at(50), p99: at(99), max: t.length === 0 ? 0 : t[t.length - 1] };
}

export class Sequencer {
  client: MoldClient | null = null;

  constructor(private readonly o: SequencerOptions, private readonly deliver: Deliver) {}

  onPacket(bytes: Uint8Array, view: DataView, off: number, len: number, nowNs: number, source: Source = FROM_LINE_A, stampNs = nowNs): void {
    if (!this.client) {
      this.client = new MoldClient(
        {
          ...DEFAULT_CLIENT,
          session: moldSession(bytes, off),
          timeoutNs: this.o.timeoutNs,
          policy: this.o.policy,
          lines: this.o.lines ? 2 : 1,
          lineWaitNs: this.o.lines?.waitNs ?? DEFAULT_CLIENT.lineWaitNs,
          canRequest: this.o.request !== null,
        },
        this.deliver,
        this.o.request ?? (() => undefined),
      );
    }
    this.client.onPacket(bytes, view, off, len, nowNs, source, stampNs);
  }

  /** What it did with its gaps (and lines); `times` adds every recovery time kept, for the .hlog. */
  report(times: boolean): RecoveryReport {
    const c = this.client;
    const k = c?.counters;
    const t = c ? recoveryTimes(c) : { count: 0, p50: 0, p99: 0, max: 0 };
    return {
      gaps: k?.gaps ?? 0, requests: k?.requests ?? 0, recovered: k?.recovered ?? 0, duplicates: k?.duplicates ?? 0,
      droppedPastGap: k?.droppedPastGap ?? 0, unrecovered: c?.unrecovered ?? 0, fromServer: k?.fromServer ?? 0, server: this.o.request !== null,
      times: t,
      ...(times ? { timesNs: [...(k?.recoveryNs ?? [])] } : {}),
      lines: this.o.lines
        ? {
            b: this.o.lines.b, fromA: k?.fromA ?? 0, fromB: k?.fromB ?? 0, filledByLine: k?.filledByLine ?? 0, lostOnBoth: c?.lostOnBoth ?? 0, skipped: k?.skipped ?? 0,
            delay: c?.arbitrationDelay.summary() ?? { count: 0, p50: 0, p99: 0, max: 0 },
          }
        : null,
    };
  }
}
