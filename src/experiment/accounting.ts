/**
 * Nothing lost: for every subscriber and group, packets sent = delivered (bypass + kernel +
 * offload) + dropped, each drop with its cause. The NIC counts what it sent to each membership and by
 * which path; the subscriber counts what it received and the gaps it saw in each path's
 * sequence. Pure: the same inputs give the same account.
 */
import type { MemberCounters } from '../nic/nic-layout.js';
import type { MembershipReport } from '../subscriber/protocol.js';
import { counter } from '../metrics/counters.js';

export type DropCause = 'ring-overrun' | 'oflow-drop' | 'non-onload-loss' | 'process-exit' | 'unread' | 'injected';

/** Every drop cause the code can emit, in DESIGN §2's words. */
export const DROP_CAUSES: readonly DropCause[] = ['ring-overrun', 'oflow-drop', 'non-onload-loss', 'process-exit', 'unread', 'injected'];

/** What each drop cause means, from the counter registry (the one place counters are defined). */
export const DROP_DESCRIPTIONS: Readonly<Record<DropCause | 'in-flight', string>> = {
  'ring-overrun': counter('dropped.ring-overrun').description,
  'oflow-drop': counter('dropped.oflow-drop').description,
  'non-onload-loss': counter('dropped.non-onload-loss').description,
  'process-exit': counter('dropped.process-exit').description,
  unread: counter('dropped.unread').description,
  injected: counter('dropped.injected').description,
  'in-flight': counter('inFlight').description,
};

export interface Account {
  sent: number;
  delivered: { bypass: number; kernel: number; offload: number };
  dropped: Partial<Record<DropCause, number>>;
  /**
   * What the subscriber can prove, to set beside the totals: gaps it saw in each path's
   * sequence, and the kernel's own drop count at its kernel socket (null: none, or not read).
   */
  detected: { ringOverrun: number; oflow: number; socketDrops: number | null };
  /** Not yet read (only while running; at the end this is attributed to a cause). */
  inFlight: number;
  /** sent === bypass + kernel + offload + dropped + inFlight, which must always hold. */
  balanced: boolean;
}

/**
 * How a membership's account is closed:
 * - running: gaps seen are drops, the rest is in flight;
 * - final: the reader drained (reading, then skimming what its time did not allow): what it
 *   did not receive and did not count unread was lost on the path it was sent by;
 * - exited: the reader died: gaps it reported keep their cause, the rest died with it;
 * - unresponsive: the reader is alive but gave no final count: the rest is unread (it never
 *   read them), never delivered and never in flight.
 */
export type AccountState = 'running' | 'final' | 'exited' | 'unresponsive';

export function account(nic: MemberCounters, report: MembershipReport | undefined, state: AccountState): Account {
  const bypass = report?.receivedBypass ?? 0;
  const kernel = report?.receivedKernel ?? 0;
  const offload = report?.receivedOffload ?? 0;
  const ringGaps = report?.ringDrops ?? 0;
  // A socket queue that overflowed, in the kernel or on the offload NIC's socket: oflow-drop.
  const kernelGaps = (report?.kernelDrops ?? 0) + (report?.offloadDrops ?? 0);
  const unreadRing = report?.unreadBypass ?? 0;
  const unreadSocket = (report?.unreadKernel ?? 0) + (report?.unreadOffload ?? 0);
  const dropped: Partial<Record<DropCause, number>> = {};
  let inFlight = 0;
  if (nic.lost > 0) dropped['non-onload-loss'] = nic.lost;
  // Dropped by the NIC on purpose (a config's drop event): never sent on any path.
  if (nic.injected > 0) dropped.injected = nic.injected;
  const ringLeft = Math.max(0, nic.viaBypass - bypass);
  const kernelLeft = Math.max(0, nic.viaKernel - kernel) + Math.max(0, nic.viaOffload - offload);
  const add = (cause: DropCause, n: number) => {
    if (n > 0) dropped[cause] = (dropped[cause] ?? 0) + n;
  };
  if (state === 'running') {
    add('ring-overrun', Math.min(ringGaps, ringLeft));
    add('oflow-drop', Math.min(kernelGaps, kernelLeft));
    inFlight = ringLeft - (dropped['ring-overrun'] ?? 0) + kernelLeft - (dropped['oflow-drop'] ?? 0);
  } else if (state === 'final') {
    const ringUnread = Math.min(unreadRing, ringLeft);
    const socketUnread = Math.min(unreadSocket, kernelLeft);
    add('ring-overrun', ringLeft - ringUnread);
    add('oflow-drop', kernelLeft - socketUnread);
    add('unread', ringUnread + socketUnread);
  } else {
    // Exited or unresponsive: the gaps it reported keep their cause; the rest died with it, or was never read.
    const ring = Math.min(ringGaps, ringLeft);
    const oflow = Math.min(kernelGaps, kernelLeft);
    add('ring-overrun', ring);
    add('oflow-drop', oflow);
    add(state === 'exited' ? 'process-exit' : 'unread', ringLeft - ring + kernelLeft - oflow);
  }
  const droppedTotal = Object.values(dropped).reduce((n, x) => n + (x ?? 0), 0);
  return {
    sent: nic.sent,
    delivered: { bypass, kernel, offload },
    dropped,
    detected: { ringOverrun: ringGaps, oflow: kernelGaps, socketDrops: report?.socketDrops ?? null },
    inFlight,
    balanced: nic.sent === bypass + kernel + offload + droppedTotal + inFlight && bypass <= nic.viaBypass && kernel <= nic.viaKernel && offload <= nic.viaOffload,
  };
}

/** Packets the application received, by every path. */
export function deliveredTotal(a: Account): number {
  return a.delivered.bypass + a.delivered.kernel + a.delivered.offload;
}

export function droppedTotal(a: Account): number {
  return Object.values(a.dropped).reduce((n, x) => n + (x ?? 0), 0);
}
