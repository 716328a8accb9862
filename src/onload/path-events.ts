/**
 * Every change of path is an event: when, which group, which subscribers, stacks and PIDs,
 * the cause, and the fix in one line. Pure: built from two steering decisions.
 */
import type { NicModel } from '../nic/models.js';
import type { Cause, Member, Path, Steering } from './fallback.js';

export type EventKind = 'accelerated' | 'offloaded' | 'kernel' | 'fallback' | 'loss' | 'recovery' | 'left';

export interface EventSubscriber {
  name: string;
  pid: number;
  stack: number | null;
  stackName: string | null;
}

export interface PathEvent {
  /** Lab time of the change, ms since the run started. */
  atMs: number;
  kind: EventKind;
  group: string;
  from: Path | 'none';
  path: Path | 'none';
  cause: Cause | null;
  subscribers: EventSubscriber[];
  message: string;
  fix: string | null;
}

export const CAUSE_DESCRIPTIONS: Readonly<Record<Cause, string>> = {
  'mcast-conflict': 'two or more stacks joined the group on a NIC that cannot replicate multicast: no filter, every member on its kernel socket',
  'filter-table-full': 'the NIC\'s hardware filter table is full: the socket stays in the kernel (EF_NO_FAIL=1)',
  'non-onload-loss': 'a socket outside Onload joined a group the NIC steers to an Onload stack: the kernel never sees the traffic',
  'not-accelerated': 'EF_DONT_ACCELERATE=1: the socket stays in the kernel',
  'mcast-recv-off': 'EF_MCAST_RECV=0: multicast receive is left to the kernel',
};

function who(m: Member): string {
  if (m.offload) return `${m.subscriber} (pid ${m.pid}, offloaded socket)`;
  // A model run has no processes: pid 0 is left out.
  const pid = m.pid > 0 ? `pid ${m.pid}, ` : '';
  return m.stack === null ? `${m.subscriber} (${pid}not Onload)` : `${m.subscriber} (${pid}stack ${m.stack}${m.stackName ? ` ${m.stackName}` : ''})`;
}

/** "a", "a and b", "a, b and c". */
export function list(items: string[]): string {
  return items.length <= 1 ? items.join('') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

function stackList(members: readonly Member[]): string {
  const seen = new Map<number, Member[]>();
  for (const m of members) if (m.stack !== null) seen.set(m.stack, [...(seen.get(m.stack) ?? []), m]);
  return list([...seen.entries()].map(([id, ms]) => `stack ${id} (${ms.map((m) => (m.pid > 0 ? `${m.subscriber}, pid ${m.pid}` : m.subscriber)).join('; ')})`));
}

function kindOf(from: Path | 'none', to: Path | 'none', cause: Cause | null): EventKind {
  if (to === 'none') return 'left';
  if (to === 'lost') return 'loss';
  if (to === 'bypass') return from === 'none' ? 'accelerated' : 'recovery';
  if (to === 'offload') return 'offloaded';
  // to kernel
  if (cause === null) return from === 'lost' ? 'recovery' : 'kernel';
  return from === 'none' || from === 'bypass' ? 'fallback' : from === 'lost' ? 'recovery' : 'fallback';
}

export interface EventContext {
  nic: NicModel;
  filterTable: number;
  atMs: number;
}

/**
 * Events for the change from `before` to `after`. `members` are those present after the change;
 * `departed` those that left or exited with it.
 */
export function pathEvents(ctx: EventContext, before: Steering, after: Steering, members: readonly Member[], departed: readonly Member[]): PathEvent[] {
  const buckets = new Map<string, { group: string; from: Path | 'none'; to: Path | 'none'; cause: Cause | null; members: Member[] }>();
  // One event per group, destination and cause: members arriving from different paths are told
  // together (the one that had bypass, and the one whose join took it away, fall back as one).
  const weight: Record<Path | 'none', number> = { bypass: 4, offload: 3, kernel: 2, lost: 1, none: 0 };
  const add = (m: Member, from: Path | 'none', to: Path | 'none', cause: Cause | null) => {
    const k = to === 'none' ? `${m.group}|${from}|none` : `${m.group}|${to}|${cause}`;
    const b = buckets.get(k);
    if (!b) buckets.set(k, { group: m.group, from, to, cause, members: [m] });
    else {
      b.members.push(m);
      if (weight[from] > weight[b.from]) b.from = from;
    }
  };
  for (const m of members) {
    const prev = before.decisions.get(m.id);
    const next = after.decisions.get(m.id)!;
    if (prev && prev.path === next.path && prev.cause === next.cause) continue;
    add(m, prev?.path ?? 'none', next.path, next.cause);
  }
  for (const m of departed) {
    const prev = before.decisions.get(m.id);
    if (prev) add(m, prev.path, 'none', null);
  }

  const byGroup = new Map<string, Member[]>();
  for (const m of members) {
    const list = byGroup.get(m.group);
    if (list) list.push(m);
    else byGroup.set(m.group, [m]);
  }
  const events: PathEvent[] = [];
  for (const b of buckets.values()) {
    const inGroup = byGroup.get(b.group) ?? [];
    const { message, fix } = explain(ctx, b.group, b.from, b.to, b.cause, b.members, inGroup, after);
    events.push({
      atMs: ctx.atMs,
      kind: kindOf(b.from, b.to, b.cause),
      group: b.group,
      from: b.from,
      path: b.to,
      cause: b.cause,
      subscribers: b.members.map((m) => ({ name: m.subscriber, pid: m.pid, stack: m.stack, stackName: m.stackName })),
      message,
      fix,
    });
  }
  // Fallbacks and losses first: they are what a reader must see.
  const rank: Record<EventKind, number> = { fallback: 0, loss: 1, recovery: 2, left: 3, accelerated: 4, offloaded: 4, kernel: 5 };
  return events.sort((a, b) => rank[a.kind] - rank[b.kind] || a.group.localeCompare(b.group));
}

function explain(
  ctx: EventContext,
  group: string,
  from: Path | 'none',
  to: Path | 'none',
  cause: Cause | null,
  changed: Member[],
  inGroup: Member[],
  after: Steering,
): { message: string; fix: string | null } {
  const nic = ctx.nic.name;
  const names = list(changed.map((m) => m.subscriber));
  if (to === 'none') return { message: `${list(changed.map(who))} left ${group}`, fix: null };
  switch (cause) {
    case 'mcast-conflict': {
      const onload = inGroup.filter((m) => m.stack !== null && m.kernelReason === null);
      const shared = onload.find((m) => m.stackName && !m.stackName.startsWith('#'))?.stackName ?? 'feed';
      return {
        message: `${stackList(onload)} joined ${group}; the ${nic} cannot replicate multicast, so no filter is installed and every member reads through its kernel socket`,
        fix: `EF_NAME=${shared} on ${list(onload.map((m) => m.subscriber))} (one shared stack), or a NIC with multicast replication (sfn8522, x2522)`,
      };
    }
    case 'filter-table-full':
      return {
        message: `no room in the ${nic}'s ${ctx.filterTable}-entry filter table for ${list(changed.map(who))} on ${group}: the socket stays in the kernel (EF_NO_FAIL=1)`,
        fix: 'fewer filters (groups × stacks: share a stack with EF_NAME), or a NIC with a larger filter table (x2522: 16384)',
      };
    case 'non-onload-loss': {
      const steered = after.groups.get(group)?.stacks ?? [];
      return {
        message: `${list(changed.map(who))} joined ${group} outside Onload, but the ${nic} steers the group to stack ${steered.join(', ')}: the kernel never sees it, so ${names} receive${changed.length === 1 ? 's' : ''} nothing`,
        fix: `run ${names} under Onload in the same stack (EF_NAME), or use a NIC with multicast replication`,
      };
    }
    case 'not-accelerated':
      return { message: `${list(changed.map(who))} on ${group}: EF_DONT_ACCELERATE=1 keeps the socket in the kernel`, fix: `unset EF_DONT_ACCELERATE for ${names}` };
    case 'mcast-recv-off':
      return { message: `${list(changed.map(who))} on ${group}: EF_MCAST_RECV=0 leaves multicast receive to the kernel`, fix: `set EF_MCAST_RECV=1 for ${names}` };
    case null:
      break;
  }
  if (to === 'bypass') {
    const why = from === 'none' ? 'hardware filter installed' : 'its filter is restored';
    return { message: `${list(changed.map(who))} on ${group}: ${why}, reading by kernel bypass`, fix: null };
  }
  if (to === 'offload') return { message: `${list(changed.map(who))} on ${group}: the ${nic} terminates the socket and hands it payloads through the socket layer`, fix: null };
  return { message: `${list(changed.map(who))} on ${group}: reading through the kernel`, fix: null };
}
