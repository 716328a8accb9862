/** Messages between the controller and the NIC process (IPC). Hot-path control uses the NIC segment. */
import type { GroupAssignment } from '../feed/feed-traffic.js';
import type { FeedOptions } from '../feed/open-feed.js';
import type { InjectedDrop } from './loss-injector.js';

export interface NicStart {
  type: 'start';
  recording: string;
  /** How to read it: packetizing for binary ITCH files, --decode-as for anonymised captures. */
  feed?: FeedOptions;
  nicSegment: string;
  /** Groups by index: address and port in the recording, and the port the kernel path sends to (the lab's port base). */
  groups: { addr: number; port: number; sendPort: number }[];
  speed: number;
  loop: boolean;
  /** The lab's id (names its offloaded sockets). */
  lab: number;
  /** The kernel path's side table (times and memberships beside each datagram, keyed by its MoldUDP64 header). */
  sideTable: string;
  /** CPUs the NIC may run on (null: any). */
  cpus: number[] | null;
  /** Injected loss: packets the NIC drops on purpose, counted `injected`. */
  drops?: InjectedDrop[];
  /** Write a V8 CPU profile of the replay here (the bench's profile repetition). */
  profile?: string;
}

export type ToNic = NicStart | { type: 'go'; startNs: number; stopAtNs: number | null } | { type: 'stop' };

export type FromNic =
  /** `silentGroups`: indices of groups the recording never sends to (null: the file was too large to scan). */
  | { type: 'ready'; pid: number; lengthNs: number | null; meanPayloadBytes: number | null; assignments: GroupAssignment[]; silentGroups: number[] | null }
  | { type: 'done'; reason: 'end-of-recording' | 'duration' | 'stopped'; assignments: GroupAssignment[] }
  | { type: 'error'; message: string };
