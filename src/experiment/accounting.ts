/**
 * Nothing lost: for every subscriber and group, packets sent = delivered (bypass + kernel +
 * offload) + dropped, each drop with its cause. The NIC counts what it sent to each membership and by
 * which path; the subscriber counts what it received and the gaps it saw in each path's
 * sequence. Pure: the same inputs give the same account.
 */
import type { MemberCounters } from '../nic/nic-layout.js';
import type { MembershipReport } from '../subscriber/protocol.js';
import { counter } from '../metrics/counters.js';

export type DropCause = 'ring-overrun' | 'oflow-drop' | 'non-onload-loss' | 'process-exit';

/** What each drop cause means, from the counter registry (the one place counters are defined). */
export const DROP_DESCRIPTIONS: Readonly<Record<DropCause | 'in-flight', string>> = {
  'ring-overrun': counter('dropped.ring-overrun').description,
  'oflow-drop': counter('dropped.oflow-drop').description,
  'non-onload-loss': counter('dropped.non-onload-loss').description,
  'process-exit': counter('dropped.process-exit').description,
  'in-flight': counter('inFlight').description,
};

export interface Account {
  sent: number;
  delivered: { bypass: number; kernel: number; offload: number };
  dropped: Partial<Record<DropCause, number>>;
  /** Drops the subscriber itself saw as sequence gaps, to set beside the totals. */
  detected: { ringOverrun: number; oflow: number };
  /** Not yet read (only while running; at the end this is attributed to a cause). */
  inFlight: number;
  /** sent === bypass + kernel + offload + dropped + inFlight, which must always hold. */
  balanced: boolean;
}

export function account(nic: MemberCounters, report: MembershipReport | undefined, state: 'running' | 'final' | 'exited'): Account {
  const bypass = report?.receivedBypass ?? 0;
  const kernel = report?.receivedKernel ?? 0;
  const offload = report?.receivedOffload ?? 0;
  const ringGaps = report?.ringDrops ?? 0;
  // A socket queue that overflowed, in the kernel or on the offload NIC's socket: oflow-drop.
  const kernelGaps = (report?.kernelDrops ?? 0) + (report?.offloadDrops ?? 0);
  const dropped: Partial<Record<DropCause, number>> = {};
  let inFlight = 0;
  if (nic.lost > 0) dropped['non-onload-loss'] = nic.lost;
  const ringLeft = Math.max(0, nic.viaBypass - bypass);
  const kernelLeft = Math.max(0, nic.viaKernel - kernel) + Math.max(0, nic.viaOffload - offload);
  if (state === 'running') {
    // Gaps seen are drops; the rest is still on its way.
    if (ringGaps > 0) dropped['ring-overrun'] = Math.min(ringGaps, ringLeft);
    if (kernelGaps > 0) dropped['oflow-drop'] = Math.min(kernelGaps, kernelLeft);
    inFlight = ringLeft - (dropped['ring-overrun'] ?? 0) + kernelLeft - (dropped['oflow-drop'] ?? 0);
  } else if (state === 'final') {
    // Drained: what did not arrive was lost, on the path it was sent by.
    if (ringLeft > 0) dropped['ring-overrun'] = ringLeft;
    if (kernelLeft > 0) dropped['oflow-drop'] = kernelLeft;
  } else {
    // Exited: the gaps it reported keep their cause; everything else died with it.
    const ring = Math.min(ringGaps, ringLeft);
    const oflow = Math.min(kernelGaps, kernelLeft);
    if (ring > 0) dropped['ring-overrun'] = ring;
    if (oflow > 0) dropped['oflow-drop'] = oflow;
    const rest = ringLeft - ring + kernelLeft - oflow;
    if (rest > 0) dropped['process-exit'] = rest;
  }
  const droppedTotal = Object.values(dropped).reduce((n, x) => n + (x ?? 0), 0);
  return {
    sent: nic.sent,
    delivered: { bypass, kernel, offload },
    dropped,
    detected: { ringOverrun: ringGaps, oflow: kernelGaps },
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
