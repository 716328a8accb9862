/**
 * Pure pieces of the lab's snapshot: the totals over every account, a socket's filter state as
 * stackdump names it, and a membership's delivery rate. Plain data in, plain data out.
 */
import type { Path } from '../onload/fallback.js';
import type { MemberState } from '../onload/registry.js';
import type { MembershipReport } from '../subscriber/protocol.js';
import { droppedTotal } from './accounting.js';
import type { SubscriberSnapshotView, Totals } from './snapshot.js';

/** Packets delivered to the application per second, first to latest delivery (0 until two have arrived). */
export function deliveredPerSecond(r: MembershipReport): number {
  const span = r.lastDeliveryNs - r.firstDeliveryNs;
  const n = r.receivedBypass + r.receivedKernel + r.receivedOffload;
  return span > 0 && n > 1 ? ((n - 1) * 1e9) / span : 0;
}

export function memberState(path: Path | undefined): MemberState {
  return path === 'bypass' ? 'ACCELERATED' : path === 'kernel' ? 'KERNEL' : 'NO-TRAFFIC';
}

/** Sent = delivered + dropped over every account; a finished run balances only with nothing in flight. */
export function totalsOf(subscribers: readonly SubscriberSnapshotView[], finished: boolean): Totals {
  const totals: Totals = { sent: 0, bypass: 0, kernel: 0, offload: 0, dropped: 0, inFlight: 0, droppedByCause: {}, balanced: true };
  for (const s of subscribers) {
    for (const m of s.memberships) {
      const a = m.account;
      totals.sent += a.sent;
      totals.bypass += a.delivered.bypass;
      totals.kernel += a.delivered.kernel;
      totals.offload += a.delivered.offload;
      totals.dropped += droppedTotal(a);
      totals.inFlight += a.inFlight;
      // A finished run's account has nothing in flight: every packet is read or has a cause.
      totals.balanced &&= a.balanced && (!finished || a.inFlight === 0);
      for (const [cause, n] of Object.entries(a.dropped)) totals.droppedByCause[cause] = (totals.droppedByCause[cause] ?? 0) + (n ?? 0);
    }
  }
  return totals;
}
