/** Messages between the controller and a subscriber process (IPC, JSON). */
import type { SubscriberSettings } from './settings.js';

export interface JoinRequest {
  type: 'join';
  membership: number;
  group: number;
  groupName: string;
  addr: number;
  /** The group's port in the recording (the frames in a ring carry it). */
  port: number;
  /** The port its kernel socket binds: the recording's, or the lab's port base (ports isolation). */
  kernelPort: number;
  /** The stack segment whose ring carries the group by bypass; null for a kernel-only socket. */
  stack: { segment: string; id: number } | null;
  /** The shared-memory segment this membership counts its latencies into. */
  histogram: string;
  /** The kernel path's side table (times and memberships of each datagram). */
  sideTable: string;
  /** Loss recovery (DESIGN §13): the lab's re-request server on 127.0.0.1, and how to ask it. */
  recovery: { port: number; timeoutNs: number; policy: 'buffer' | 'drop' } | null;
  /**
   * A/B lines (DESIGN §13): this group is line A or B of a channel the subscriber reads on both
   * (`channel` names line A's group, `b` line B's), and how long a gap waits for the other line.
   */
  line?: { channel: string; b: string; line: 0 | 1; waitNs: number } | null;
}

/** What a recovering socket did with its gaps. */
export interface RecoveryReport {
  gaps: number;
  requests: number;
  recovered: number;
  duplicates: number;
  droppedPastGap: number;
  unrecovered: number;
  /** Messages passed on from the server's replies; whether there was a server to ask. */
  fromServer?: number;
  server?: boolean;
  /** Gap seen to sequence whole again, ns: how many gaps closed, and their p50, p99, max. */
  times: { count: number; p50: number; p99: number; max: number };
  /** Every recovery time kept (ns; the final report only): the recovery histogram of the .hlog. */
  timesNs?: number[];
  /** A/B arbitration on this channel (reported on its line A membership); null for one line. */
  lines?: LinesReport | null;
}

export interface LinesReport {
  /** Line B's group. */
  b: string;
  fromA: number;
  fromB: number;
  filledByLine: number;
  lostOnBoth: number;
  skipped: number;
  /** How much later the second copy came, ns. */
  delay: { count: number; p50: number; p99: number; max: number };
}

export type ToSubscriber =
  | { type: 'init'; index: number; settings: SubscriberSettings; nicSegment: string; snapshotMs: number; cpus: number[] | null; lab: number }
  | JoinRequest
  | { type: 'leave'; membership: number }
  /** The replay has ended: read what is queued for up to `readMs`, then count the rest as unread, and report. */
  | { type: 'drain'; readMs: number }
  | { type: 'stop' };

/** One membership's counters, as the subscriber saw them. */
export interface MembershipReport {
  membership: number;
  /** Null where the lab does not recover loss (nor arbitrate lines), and on a line B membership, whose channel reports on line A. */
  recovery?: RecoveryReport | null;
  /** Line B of a channel arbitrated with line A: the group whose recovery report covers both. */
  arbitratedOn?: string | null;
  group: number;
  receivedBypass: number;
  receivedKernel: number;
  /** Payloads from the offload NIC's socket (receive: offload). */
  receivedOffload: number;
  /** Gaps in the offload records' sequence: records the NIC could not queue on the socket (oflow-drop). */
  offloadDrops: number;
  /** Gaps in the per-group ring sequence: packets the NIC lapped this reader on (ring-overrun). */
  ringDrops: number;
  /** Gaps in the kernel copies' sequence: datagrams the kernel dropped (oflow-drop). */
  kernelDrops: number;
  /** Kernel copies meant for other sockets (replication to the kernel for someone else). */
  kernelCopiesIgnored: number;
  /** Datagrams from another lab running on this host (same groups on loopback), ignored. */
  foreignDatagrams: number;
  malformed: number;
  messages: number;
  sequenceGaps: number;
  missingMessages: number;
  outOfOrder: number;
  rewinds: number;
  /** Payload bytes copied on the host: by the stack's recv (onload), the socket layer (offload) or the kernel (2 per datagram). */
  bytesCopied: number;
  /** Frames parsed by the stack library in the process, and by the application itself (ef_vi). */
  stackParsed: number;
  appParsed: number;
  /** Frames the ef_vi application parsed and dropped as not its own. */
  appRejected: number;
  /** Reads (system calls that returned data) on the offloaded socket. */
  offloadReads: number;
  /** Monotonic ns of the first and latest delivery to the application (0: none). */
  firstDeliveryNs: number;
  lastDeliveryNs: number;
  /** Still queued when the reader's time to drain was up (the run had ended): cause unread. */
  unreadBypass: number;
  unreadKernel: number;
  unreadOffload: number;
  /** The kernel's own drop count at this socket's kernel socket (/proc/net/udp, as SO_RXQ_OVFL); null without one. */
  socketDrops: number | null;
}

/** A wait's distribution, ns. */
export interface WaitFigure { count: number; p50: number; p99: number; max: number }

/**
 * How long datagrams waited in a subscriber's sockets before it read them, from the kernel's
 * receive stamp (SO_TIMESTAMPNS) to the read: on the kernel path, every datagram (a sleeping
 * reader's wake-up, or its backlog); for the NIC's doorbell, the one that woke it. For a reader
 * that sleeps, most of its latency is this wake-up, and the host decides it, not the path.
 * Null where nothing was measured (no such socket, `kernelSocket: node`).
 */
export interface SocketWait { kernel: WaitFigure | null; doorbell: WaitFigure | null }

export interface SubscriberSnapshot {
  type: 'snapshot';
  final: boolean;
  pid: number;
  memberships: MembershipReport[];
  /** Process accounting since start: context switches and CPU time. */
  voluntaryContextSwitches: number;
  involuntaryContextSwitches: number;
  cpuUserUs: number;
  cpuSystemUs: number;
  /** The same accounting since the first packet arrived (null before): the receive path's own cost. */
  sinceFirstPacket: { voluntary: number; involuntary: number; cpuUs: number } | null;
  interruptsReceived: number;
  socketWait: SocketWait;
  /** A spinner's longest poll-loop cycle since its first packet (ns); null when it does not spin. */
  maxStallNs: number | null;
  /** Its longest garbage-collection pause since its first packet (ns): a stall of its own making. */
  maxGcNs: number;
  /** Garbage collections since its first packet (null before): scavenges and full collections. */
  gc: { minor: number; major: number } | null;
  /** The final snapshot only: the heap in use just after each full GC since its first packet. */
  liveHeap?: { atNs: number; bytes: number }[];
  spinning: boolean;
  blocked: boolean;
  orders: number;
  /** The order book at the end (work: book; the final snapshot only): orders, executions on orders it never saw, and its digest. */
  book?: { orders: number; unknownRefs: number; digest: string } | null;
}

export type FromSubscriber =
  | { type: 'ready'; pid: number }
  | { type: 'joined'; membership: number; stackSocket: number | null }
  | { type: 'left'; membership: number; report: MembershipReport }
  | SubscriberSnapshot
  | { type: 'error'; message: string };
