/**
 * What the engine publishes a few times a second, and once more at the end: plain data for the
 * dashboard, the headless report and the JSON writer alike (three consumers of one stream).
 */
import type { Cause, Path } from '../onload/fallback.js';
import type { PathEvent } from '../onload/path-events.js';
import type { LatencySummary } from '../metrics/histogram-store.js';
import type { RecordedPath } from '../metrics/latency.js';
import type { NicStatus } from '../nic/nic-layout.js';
import type { RegistrySocket } from '../onload/registry.js';
import type { GroupAssignment } from '../feed/feed-traffic.js';
import type { Account } from './accounting.js';
import type { HostHealth } from '../metrics/host-health.js';
import type { DropExplanation } from './drop-explain.js';
import type { SocketWait } from '../subscriber/protocol.js';
import type { RecoveryReport } from '../subscriber/protocol.js';
import type { ServerCounters } from '../recovery/request-server.js';

export type LabState = 'starting' | 'running' | 'paused' | 'draining' | 'done' | 'failed';

export interface ProcessEvent {
  atMs: number;
  kind: 'exit' | 'start' | 'speed' | 'pause' | 'resume' | 'warning' | 'action';
  subscriber: string | null;
  pid: number | null;
  message: string;
}

export type LabEvent = PathEvent | ProcessEvent;

export function isPathEvent(e: LabEvent): e is PathEvent {
  return 'group' in e;
}

export interface LatencyByClock {
  scheduled: LatencySummary;
  sent: LatencySummary;
}

export interface MembershipSnapshot {
  membership: number;
  group: string;
  path: Path | 'none';
  cause: Cause | null;
  stack: number | null;
  account: Account;
  messages: number;
  sequenceGaps: number;
  missingMessages: number;
  outOfOrder: number;
  /** Payload bytes the receive path copied on the host (0 for zero-copy). */
  bytesCopied: number;
  /** Who parsed the frames: the stack library in the process, or the application (ef_vi); reads on an offloaded socket. */
  parsing: { stack: number; application: number; applicationRejected: number; offloadReads: number };
  /** Packets delivered to the application per second, first to latest delivery (0 until two have arrived). */
  deliveredPerSecond: number;
  /** Latency for this group, per path, for the last interval and the whole run. */
  latency: Record<RecordedPath, { last: LatencyByClock; total: LatencyByClock }>;
  active: boolean;
  /** Loss recovery (DESIGN §13): its gaps, requests, messages recovered and still missing, recovery time. Null where the lab does not recover. */
  recovery?: RecoveryReport | null;
  /** Line B of a channel read on both lines: line A's group, whose recovery covers both (DESIGN §13). */
  arbitratedOn?: string | null;
}

export interface SubscriberSnapshotView {
  name: string;
  pid: number | null;
  alive: boolean;
  exit: string | null;
  onload: boolean;
  stack: number | null;
  stackName: string | null;
  waiting: string;
  spinning: boolean;
  blocked: boolean;
  receive: string;
  work: string;
  memberships: MembershipSnapshot[];
  contextSwitches: { voluntary: number; involuntary: number };
  cpuUs: number;
  /** Context switches and CPU time since its first packet (null before): the receive path's own cost. */
  sinceFirstPacket: { voluntary: number; involuntary: number; cpuUs: number } | null;
  interrupts: number;
  /** Garbage collections since its first packet (scavenges, full collections): each pauses the process. Absent in model runs and older results. */
  gc?: { minor: number; major: number } | null;
  /** The heap in use just after each full GC since its first packet (CLOCK_MONOTONIC ns, bytes), in a finished run's result: what it keeps; a leak raises it. Absent in model runs. */
  liveHeap?: { atNs: number; bytes: number }[] | null;
  /** How long datagrams waited in its sockets before it read them (kernel stamp to read): a sleeping reader's wake-up. Absent in model runs and older results. */
  socketWait?: SocketWait | null;
  orders: number;
  /** The order book at the end (work: book): executions on orders it never saw (a gap broke it) and a digest of its state. */
  book?: { orders: number; unknownRefs: number; digest: string } | null;
}

/** One socket of a stack, with the counters onload_stackdump prints for it (see RegistrySocket). */
export interface StackSocketView extends RegistrySocket {
  interrupts: number;
}

export interface StackView {
  id: number;
  name: string | null;
  segment: string;
  pids: number[];
  live: boolean;
  ringSlots: number;
  ringFill: number;
  rxPackets: number;
  overrun: number;
  sockets: StackSocketView[];
  filters: string[];
}

export interface GroupView {
  group: string;
  packets: number;
  kernelSends: number;
  ringWrites: number;
  stacks: number[];
  kernel: boolean;
  conflict: boolean;
}

export interface Totals {
  sent: number;
  bypass: number;
  kernel: number;
  offload: number;
  dropped: number;
  inFlight: number;
  droppedByCause: Record<string, number>;
  balanced: boolean;
}

export interface LabSnapshot {
  state: LabState;
  runMs: number;
  config: { name: string; file: string; description: string; nic: string; nicDescription: string; replication: boolean; filterTable: number; recording: string; durationMs: number | null; loop: boolean;
    /** Groups the recording's datagrams were given where their IP destination said nothing (anonymised captures). */
    assignedGroups?: GroupAssignment[];
    /** Who the config says joins what, known before any process starts (the first frame draws it). */
    plan?: { subscriber: string; groups: string[]; stack?: number | null; expected?: { group: string; path: string; cause: string | null }[] }[] };
  nic: NicStatus & { pid: number | null; packetsPerSecond: number; messagesPerSecond: number };
  stacks: StackView[];
  groups: GroupView[];
  subscribers: SubscriberSnapshotView[];
  events: LabEvent[];
  totals: Totals;
  /** The lab's kernel path: a network namespace of its own, or the host's loopback (DESIGN §11). */
  isolation: { kind: 'netns' | 'userns' | 'ports' | 'shared' | 'model'; pid: number | null; portOffset: number; note: string };
  /** The lab's re-request server (loss recovery on): where it listens and what it did. */
  recoveryServer?: { port: number; pid: number; counters: ServerCounters | null } | null;
  /** Set for a model run (DESIGN §12): virtual time, and the cost profile it used. */
  model?: { profile: string; profileFile: string; cores: number; description: string; deliveries: number };
  /** Each drop cause of each membership in words: its mechanism and its numbers. */
  dropsExplained: DropExplanation[];
  /** What the host did to this run, and whether its figures are the path's (DESIGN §11). */
  host: HostHealth;
  warnings: string[];
  /** What the config said that the run could not do: a timed event that failed, a group the recording never sends to (config key and words). */
  problems?: { where: string; what: string }[];
  error: string | null;
}
