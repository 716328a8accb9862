/**
 * The three host overheads, per subscriber, side by side (DESIGN §10): copies, where protocol
 * processing ran, and context switches, beside CPU per packet and latency. What each mode does
 * by construction comes from MODE_TRAITS; the rest is measured: bytes the receive path copied,
 * the process's own context switches and CPU time (getrusage) since its first packet, latency
 * from the NIC's send. Pure: a snapshot in, rows out (report, results and dashboard share it).
 */
import { addSummaries } from '../metrics/histogram-store.js';
import { RECORDED_PATHS, type RecordedPath } from '../metrics/latency.js';
import { MODE_TRAITS, type ReceiveMode } from '../subscriber/receive-modes.js';
import type { WaitFigure } from '../subscriber/protocol.js';
import type { LabSnapshot, SubscriberSnapshotView } from './snapshot.js';

export interface OverheadRow {
  subscriber: string;
  mode: ReceiveMode;
  technology: string;
  /** The path most of its packets took. */
  path: RecordedPath | 'none';
  packets: number;
  /** By construction, for the path its packets took. */
  copies: string;
  protocol: string;
  /** Measured. */
  bytesCopiedPerPacket: number | null;
  contextSwitchesPer1k: { voluntary: number; involuntary: number } | null;
  cpuUsPerPacket: number | null;
  /** From the NIC's send, ns. */
  p50: number | null;
  p99: number | null;
  /**
   * Of that, how long its main path's socket held the packet (kernel path) or the NIC's doorbell
   * (interrupt-driven bypass) before the reader read it, p50, ns: a sleeping reader's wake-up,
   * which the host decides. Null where not measured (a spinning bypass reader never sleeps).
   */
  wakeP50: number | null;
}

const KERNEL_PATH = { copies: 'kernel buffer, then application', protocol: 'host kernel' };
const OFFLOAD_PATH = { copies: 'payload into the application', protocol: 'on the NIC' };

/**
 * The wake-up a subscriber's packets on `path` waited for: its kernel sockets' wait, or (bypass)
 * the NIC's doorbell's, unless it spins: a spinner's doorbell rings only after it gave up
 * spinning, so its bypass packets never waited for it. Null where nothing was measured.
 */
export function wakeOf(sub: SubscriberSnapshotView, path: RecordedPath | 'none'): WaitFigure | null {
  const w = path === 'kernel' ? sub.socketWait?.kernel : path === 'bypass' && !sub.waiting.startsWith('spinning') ? sub.socketWait?.doorbell : null;
  return w && w.count > 0 ? w : null;
}

export function overheadRows(s: LabSnapshot): OverheadRow[] {
  return s.subscribers.map((sub) => {
    const mode = sub.receive as ReceiveMode;
    const traits = MODE_TRAITS[mode] ?? MODE_TRAITS.onload;
    const counts = RECORDED_PATHS.map((p) => sub.memberships.reduce((n, m) => n + m.latency[p].total.sent.count, 0));
    const packets = counts.reduce((a, b) => a + b, 0);
    const main = packets === 0 ? 'none' : RECORDED_PATHS[counts.indexOf(Math.max(...counts))];
    // An Onload socket that fell back reads through the kernel: its packets pay the kernel's costs.
    const byPath = main === 'kernel' ? KERNEL_PATH : main === 'offload' ? OFFLOAD_PATH : { copies: traits.copies, protocol: traits.protocolText };
    const lat = main === 'none' ? null : addSummaries(sub.memberships.map((m) => m.latency[main].total.sent));
    const since = sub.sinceFirstPacket;
    const bytes = sub.memberships.reduce((n, m) => n + m.bytesCopied, 0);
    return {
      subscriber: sub.name,
      mode,
      technology: traits.technology,
      path: main,
      packets,
      copies: byPath.copies,
      protocol: byPath.protocol,
      bytesCopiedPerPacket: packets > 0 ? bytes / packets : null,
      contextSwitchesPer1k: since && packets > 0 ? { voluntary: (since.voluntary * 1000) / packets, involuntary: (since.involuntary * 1000) / packets } : null,
      cpuUsPerPacket: since && packets > 0 ? since.cpuUs / packets : null,
      p50: lat && lat.count > 0 ? lat.p50 : null,
      p99: lat && lat.count > 0 ? lat.p99 : null,
      wakeP50: wakeOf(sub, main)?.p50 ?? null,
    };
  });
}
