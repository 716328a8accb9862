/**
 * The controller's state drawn as the snapshot's plain data: a subscriber, its memberships (each
 * one's account and latency), and each stack with its sockets as onload_stackdump lists them.
 * No I/O here: the counters and summaries come in already read.
 */
import type { LatencySummary } from '../metrics/histogram-store.js';
import type { Clock, RecordedPath } from '../metrics/latency.js';
import type { Decision } from '../onload/fallback.js';
import { waitingName } from '../subscriber/settings.js';
import type { Account } from './accounting.js';
import type { MembershipState, StackState, SubscriberState } from './lab-state.js';
import { deliveredPerSecond, memberState } from './lab-views.js';
import type { LatencyByClock, MembershipSnapshot, StackView, SubscriberSnapshotView } from './snapshot.js';

/** A latency summary of one series: subscriber, group, path, clock, window. */
export type LatencyLookup = (subscriber: string, group: number, path: RecordedPath, clock: Clock, window: 'last' | 'total') => LatencySummary;

function latencyOf(look: LatencyLookup, sub: string, group: number, path: RecordedPath, window: 'last' | 'total'): LatencyByClock {
  return { scheduled: look(sub, group, path, 'scheduled', window), sent: look(sub, group, path, 'sent', window) };
}

/** One membership: its path as decided, its account (frozen when it ended), its report's counts, its latency. */
export function membershipView(sub: SubscriberState, ms: MembershipState, decision: Decision | undefined, acc: Account, look: LatencyLookup): MembershipSnapshot {
  const r = ms.report;
  const name = sub.settings.name;
  const both = (path: RecordedPath) => ({ last: latencyOf(look, name, ms.group, path, 'last'), total: latencyOf(look, name, ms.group, path, 'total') });
  return {
    membership: ms.id,
    group: ms.groupName,
    path: ms.active && decision ? decision.path : 'none',
    cause: ms.active && decision ? decision.cause : null,
    stack: ms.member.stack,
    account: acc,
    messages: r?.messages ?? 0,
    sequenceGaps: r?.sequenceGaps ?? 0,
    missingMessages: r?.missingMessages ?? 0,
    outOfOrder: r?.outOfOrder ?? 0,
    bytesCopied: r?.bytesCopied ?? 0,
    deliveredPerSecond: r ? deliveredPerSecond(r) : 0,
    parsing: { stack: r?.stackParsed ?? 0, application: r?.appParsed ?? 0, applicationRejected: r?.appRejected ?? 0, offloadReads: r?.offloadReads ?? 0 },
    latency: { bypass: both('bypass'), kernel: both('kernel'), offload: both('offload') },
    active: ms.active,
    recovery: r?.recovery ?? null,
    arbitratedOn: r?.arbitratedOn ?? null,
  };
}

/** One subscriber process: who it is, how it waits, what its last report said. */
export function subscriberView(s: SubscriberState, memberships: MembershipSnapshot[]): SubscriberSnapshotView {
  const l = s.last;
  return {
    name: s.settings.name,
    pid: s.pid,
    alive: s.alive,
    exit: s.exit,
    onload: s.settings.onload,
    stack: s.stack?.id ?? null,
    stackName: s.stack?.name ?? null,
    waiting: waitingName(s.settings),
    spinning: l?.spinning ?? false,
    blocked: l?.blocked ?? false,
    receive: s.settings.receive,
    work: s.settings.work,
    memberships,
    contextSwitches: { voluntary: l?.voluntaryContextSwitches ?? 0, involuntary: l?.involuntaryContextSwitches ?? 0 },
    cpuUs: (l?.cpuUserUs ?? 0) + (l?.cpuSystemUs ?? 0),
    sinceFirstPacket: l?.sinceFirstPacket ?? null,
    interrupts: l?.interruptsReceived ?? 0,
    gc: l?.gc ?? null,
    liveHeap: s.liveHeap ?? null,
    socketWait: l?.socketWait ?? null,
    orders: l?.orders ?? 0,
    book: s.book ?? null,
  };
}

/**
 * One stack with its sockets (the active memberships of the subscribers in it) and the filters it
 * holds. `maxQueued` keeps each membership's most packets queued at any snapshot (q_max_pkts).
 */
export function stackView(st: StackState, subscribers: readonly SubscriberState[], views: readonly SubscriberSnapshotView[], maxQueued: Map<number, number>, filters: string[]): StackView {
  const attached = st.seg.sockets();
  const sockets = subscribers.flatMap((s, i) =>
    s.stack === st
      ? views[i].memberships.filter((m) => m.active).map((m) => {
          const a = m.account;
          const queued = a.inFlight;
          const max = Math.max(queued, maxQueued.get(m.membership) ?? 0);
          maxQueued.set(m.membership, max);
          return {
            socket: attached.find((x) => x.membership === m.membership)?.index ?? null,
            subscriber: s.settings.name,
            pid: s.pid,
            group: m.group,
            state: memberState(m.path === 'none' ? undefined : m.path),
            delivered: a.delivered.bypass,
            os: a.delivered.kernel,
            oflowDrop: a.dropped['oflow-drop'] ?? 0,
            overrun: a.dropped['ring-overrun'] ?? 0,
            queued,
            maxQueued: max,
            interrupts: 0,
          };
        })
      : [],
  );
  return {
    id: st.id,
    name: st.name,
    segment: st.segment,
    pids: [...st.pids],
    live: st.live,
    ringSlots: st.seg.slotCount,
    ringFill: st.seg.ringFill(),
    rxPackets: st.seg.rxPackets,
    overrun: attached.reduce((n, x) => n + x.overrun, 0),
    sockets,
    filters,
  };
}
