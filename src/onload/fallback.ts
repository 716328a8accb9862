/**
 * Which path each multicast membership takes, and why: the pure core of mdlab. No I/O; the
 * controller feeds it memberships and writes its decisions into the NIC's steering table.
 * Rules (DESIGN §2), from Onload's oof_filters.c and the Onload User Guide:
 *
 * - each stack joined to a group asks for a hardware filter on (group, port);
 * - NIC without multicast replication: two or more stacks on one group conflict; no filter is
 *   installed and every member reads through its kernel socket (oof_mcast_conflicted_hwports,
 *   `mcast-conflict`); when one stack remains, its filter is restored (oof_mcast_remove);
 * - NIC with replication: each stack gets its own filter, the NIC DMAs a copy to each;
 * - several processes sharing one stack (EF_NAME): one filter, one copy, every socket gets it;
 * - filter table full: the socket stays on the kernel (EF_NO_FAIL=1, "Resources"): `filter-table-full`;
 * - EF_DONT_ACCELERATE=1 / EF_MCAST_RECV=0: kernel socket (`not-accelerated`, `mcast-recv-off`);
 * - a socket that is not Onload's (another process, or one of the above) joined to a group
 *   whose traffic the NIC steers to a stack receives nothing ("Multicast-Receive-to-Onload-or-
 *   Kernel-Stack"): `non-onload-loss`. With replication the kernel gets its own copy.
 * - a socket offloaded to the NIC (receive: offload, NIC model inic: DESIGN §10) is terminated
 *   on the NIC itself, which hands it payloads through the socket layer: path `offload`. It
 *   takes no host filter and needs no kernel copy.
 */
import type { NicModel } from '../nic/models.js';

export type Path = 'bypass' | 'kernel' | 'offload' | 'lost';
export type Cause = 'mcast-conflict' | 'filter-table-full' | 'non-onload-loss' | 'not-accelerated' | 'mcast-recv-off';
/** Why a socket is not accelerated by Onload at all (null: it is an Onload socket). */
export type KernelReason = 'not-onload' | 'not-accelerated' | 'mcast-recv-off' | null;

export const PATHS: readonly Path[] = ['bypass', 'kernel', 'offload', 'lost'];

export interface Member {
  /** Membership index: stable for the life of one join. */
  id: number;
  subscriber: string;
  pid: number;
  group: string;
  /** The stack the socket belongs to; null for a process not using Onload. */
  stack: number | null;
  stackName: string | null;
  kernelReason: KernelReason;
  /** The socket is offloaded to the NIC (receive: offload). */
  offload?: boolean;
}

export interface Filter {
  group: string;
  stack: number;
}

export interface Decision {
  path: Path;
  cause: Cause | null;
}

export interface GroupSteering {
  group: string;
  /** Stacks the NIC DMAs this group to. */
  stacks: number[];
  /** Whether the kernel receives the group (and copies it to every joined kernel socket). */
  kernel: boolean;
  conflict: boolean;
}

export interface Steering {
  filters: Filter[];
  groups: Map<string, GroupSteering>;
  decisions: Map<number, Decision>;
  /** Filters wanted but not installed for lack of room. */
  refused: Filter[];
}

export const EMPTY_STEERING: Steering = { filters: [], groups: new Map(), decisions: new Map(), refused: [] };

const key = (f: Filter) => `${f.stack}@${f.group}`;

/**
 * Decides filters and paths for `members` (in join order) on `nic`, keeping the filters of
 * `previous` that are still wanted: a filter, once installed, keeps its place in the table.
 */
export function decide(nic: NicModel, filterTable: number, members: readonly Member[], previous: readonly Filter[]): Steering {
  const byGroup = new Map<string, Member[]>();
  const decisions = new Map<number, Decision>();
  for (const m of members) {
    if (m.offload && nic.offload) {
      decisions.set(m.id, { path: 'offload', cause: null });
      continue;
    }
    const list = byGroup.get(m.group);
    if (list) list.push(m);
    else byGroup.set(m.group, [m]);
  }
  const accelerated = (m: Member) => m.stack !== null && m.kernelReason === null;

  // Filters each group wants, in the order their stacks first joined.
  const wanted: Filter[] = [];
  const conflicted = new Set<string>();
  for (const [group, list] of byGroup) {
    const stacks: number[] = [];
    const seen = new Set<number>();
    for (const m of list) {
      if (accelerated(m) && !seen.has(m.stack!)) {
        seen.add(m.stack!);
        stacks.push(m.stack!);
      }
    }
    if (!nic.replication && stacks.length >= 2) {
      conflicted.add(group);
      continue;
    }
    for (const stack of stacks) wanted.push({ group, stack });
  }

  const wantedKeys = new Set(wanted.map(key));
  const filters = previous.filter((f) => wantedKeys.has(key(f)));
  const installed = new Set(filters.map(key));
  const refused: Filter[] = [];
  for (const f of wanted) {
    if (installed.has(key(f))) continue;
    if (filters.length < filterTable) {
      filters.push(f);
      installed.add(key(f));
    } else {
      refused.push(f);
    }
  }

  const stacksOf = new Map<string, number[]>();
  for (const f of filters) {
    const list = stacksOf.get(f.group);
    if (list) list.push(f.stack);
    else stacksOf.set(f.group, [f.stack]);
  }
  const groups = new Map<string, GroupSteering>();
  for (const [group, list] of byGroup) {
    const stacks = stacksOf.get(group) ?? [];
    let kernelNeeded = false;
    for (const m of list) {
      if (!accelerated(m)) {
        kernelNeeded = true;
        continue;
      }
      if (installed.has(key({ group, stack: m.stack! }))) {
        decisions.set(m.id, { path: 'bypass', cause: null });
      } else {
        decisions.set(m.id, { path: 'kernel', cause: conflicted.has(group) ? 'mcast-conflict' : 'filter-table-full' });
        kernelNeeded = true;
      }
    }
    // Without replication, a group steered to a stack never reaches the kernel.
    const kernel = kernelNeeded && (nic.replication || stacks.length === 0);
    for (const m of list) {
      if (accelerated(m)) continue;
      if (kernel) decisions.set(m.id, { path: 'kernel', cause: m.kernelReason === 'not-onload' ? null : m.kernelReason });
      else decisions.set(m.id, { path: 'lost', cause: 'non-onload-loss' });
    }
    groups.set(group, { group, stacks, kernel, conflict: conflicted.has(group) });
  }
  return { filters, groups, decisions, refused };
}
