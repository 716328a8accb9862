/**
 * What the lab's controller keeps of each stack, membership and subscriber process while a run
 * goes: the state its snapshot is drawn from (lab-snapshot.ts).
 */
import type { ChildProcess } from 'node:child_process';
import type { HistogramReader } from '../metrics/shm-histogram.js';
import type { Member } from '../onload/fallback.js';
import type { StackSegment } from '../onload/stack-layout.js';
import type { FromSubscriber, MembershipReport, SubscriberSnapshot } from '../subscriber/protocol.js';
import type { SubscriberSettings } from '../subscriber/settings.js';
import type { Account } from './accounting.js';

export interface StackState {
  id: number;
  slot: number;
  name: string | null;
  segment: string;
  seg: StackSegment;
  pids: Set<number>;
  live: boolean;
}

export interface MembershipState {
  id: number;
  group: number;
  groupName: string;
  member: Member;
  active: boolean;
  /** The last report from the subscriber (or its final one). */
  report: MembershipReport | undefined;
  finalReport: boolean;
  /** Frozen when the membership ended: what the NIC counted for it. */
  endedAccount: Account | null;
  /** Its latency counts in shared memory (null until it has joined). */
  latency: HistogramReader | null;
}

export interface SubscriberState {
  /** Its order book at the end, from the final snapshot (later ones carry none). */
  book?: SubscriberSnapshot['book'];
  /** From its final snapshot (a later periodic one does not carry it). */
  liveHeap?: SubscriberSnapshot['liveHeap'];
  index: number;
  settings: SubscriberSettings;
  child: ChildProcess;
  stderr: () => string;
  pid: number;
  alive: boolean;
  exit: string | null;
  stack: StackState | null;
  memberships: Map<number, MembershipState>;
  last: SubscriberSnapshot | undefined;
  final: boolean;
  waiters: Map<string, (msg: FromSubscriber) => void>;
}
